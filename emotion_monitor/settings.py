"""One settings model for the whole app: the command line, the window's settings dialog and the saved
preferences are all derived from the fields of :class:`Settings`.

Each field carries its help text, its range or choices, its unit and whether the window shows and
keeps it (:func:`setting`). The command line's options are built from the fields in options.py (the
edge: nothing here sees argparse); ``load`` / ``save`` go through any store with ``value(key, default)`` and ``setValue(key, v)``
(QSettings in the window, a dict adapter in tests), and the dialog (gui/widgets.py) makes one widget a
field. Mood defaults live once, in :class:`MoodConfig`, and are referred to here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any, Protocol

from . import privacy as privacy_levels
from .detection import DETECTORS
from .mood import MOOD_DEFAULTS, MoodConfig
from .zones import parse_zones


class Store(Protocol):
    """Where preferences are kept (QSettings, or a dict-backed double in the tests)."""

    def value(self, key: str, default: Any = None) -> Any: ...

    def setValue(self, key: str, value: Any) -> None: ...  # noqa: N802 (Qt's name)


def setting(default: Any, help: str, *, minimum: float | None = None, maximum: float | None = None,
            choices: tuple[str, ...] | None = None, unit: str = "", group: str = "", in_dialog: bool = True,
            label: str | None = None, metavar: str | None = None) -> Any:
    """A settings field: ``in_dialog`` False keeps it off the window's dialog and out of saved preferences."""
    return field(default=default, metadata={"help": help, "min": minimum, "max": maximum, "choices": choices,
                                            "unit": unit, "group": group, "in_dialog": in_dialog, "label": label,
                                            "metavar": metavar})


@dataclass(frozen=True)
class Settings:
    detector: str = setting("yunet", "face detector: yunet (boxes and landmarks; small and turned faces; "
                                     "59 fps on the 1080p crowd), mediapipe (tiles), haar (frontal faces only, "
                                     "and slow on large frames: 1.9 fps on the 1080p crowd on 2 cores)",
                            choices=DETECTORS, group="Detection")
    detect_every: int = setting(2, "yunet: search the whole frame every K frames, faces followed between",
                                minimum=1, maximum=10, unit="frames", group="Detection", label="Detect every")
    detect_width: int = setting(960, "yunet: frames wider than this are downscaled to it for detection",
                                minimum=160, maximum=3840, unit="px", group="Detection", label="Detection width")
    tiles: str = setting("4x3", "mediapipe: tile grid COLSxROWS for small faces in large frames, or 'off'",
                         group="Detection", in_dialog=False, metavar="COLSxROWS")
    tiles_per_frame: int = setting(1, "mediapipe: views (whole frame or a tile) searched per frame for new faces, "
                                      "round robin; 0 searches every view on every frame",
                                   minimum=0, maximum=32, group="Detection", in_dialog=False)
    min_confidence: float = setting(0.5, "mediapipe: detections below this confidence are dropped",
                                    minimum=0.05, maximum=0.99, group="Detection", in_dialog=False)
    min_face: int = setting(0, "ignore faces smaller than this", minimum=0, maximum=500, unit="px",
                            group="Detection", label="Minimum face size")
    reid_seconds: float = setting(30.0, "a person who leaves view and comes back within this many seconds keeps "
                                        "their id when they look alike (their face, and the colours below it for an "
                                        "absence over 8 s)", minimum=1.0, maximum=600.0, unit="s", group="Detection",
                                  label="Keep ids for")
    model: str = setting("", "emotion model .tflite with its .json beside it (empty: the bundled model)",
                         group="Model", in_dialog=False, metavar="PATH")
    threads: int = setting(2, "classifier threads", minimum=1, maximum=64, group="Model", in_dialog=False)
    flip_average: bool = setting(True, "classify each face and its mirror image and average the two (about twice "
                                       "the classifier's time: 1.3 ms for 6 faces on a 2-core AVX-512 CPU; "
                                       "FER+ PrivateTest 0.823 -> 0.829)", group="Model",
                                 label="Average with the mirror image")
    read_rate: float = setting(0.0, "read each tracked face again at most this many times a second (new faces "
                                    "at once, then the stalest; an expression lasts longer than a frame); "
                                    "0 reads every face on every frame",
                               minimum=0.0, maximum=60.0, unit="/s", group="Model", label="Read each face")
    threshold: float = setting(MOOD_DEFAULTS.threshold,
                               "alert when the group's mood, each person against their own resting face, stays this far "
                               "below it for --duration seconds (the fall is -1..0: above 0, every counted second "
                               "alerts, a rehearsal)",
                               minimum=-1.0, maximum=1.0, group="Alert", label="Alert on a group fall of")
    window: float = setting(MOOD_DEFAULTS.window, "seconds of mood averaged for the alert and the trend",
                            minimum=0.1, maximum=600.0, unit="s", group="Alert", label="Mood window")
    duration: float = setting(MOOD_DEFAULTS.duration, "seconds the group's fall must last before an alert "
                                                      "(half of it, back up, to clear)",
                              minimum=0.0, maximum=600.0, unit="s", group="Alert", label="Alert after")
    hysteresis: float = setting(MOOD_DEFAULTS.hysteresis, "margin above the group's bar to clear an alert",
                                minimum=0.0, maximum=1.0, group="Alert")
    cooldown: float = setting(MOOD_DEFAULTS.cooldown, "seconds after a clear with no new group alert (a person's "
                                                      "turn is never muted)",
                              minimum=0.0, maximum=3600.0, unit="s", group="Alert")
    gap: float = setting(MOOD_DEFAULTS.gap, "seconds a face may go unread and keep its state (a face turned away, "
                                            "someone passing in front); unread longer, it has left",
                         minimum=0.0, maximum=600.0, unit="s", group="Alert", label="Gap kept")
    settle: float = setting(MOOD_DEFAULTS.settle, "seconds a person is seen before their resting face is known; "
                                                  "until then the alert cannot judge them",
                            minimum=0.5, maximum=120.0, unit="s", group="Alert", label="Resting face after")
    turn: float = setting(MOOD_DEFAULTS.turn, "alert when one person's log-odds of an unhappy reading rise this far "
                                              "above their own resting face for --person-duration seconds",
                          minimum=0.1, maximum=10.0, group="Alert", label="Alert on a turn of")
    person_duration: float = setting(MOOD_DEFAULTS.person_duration, "seconds a person's turn must last before an "
                                                                    "alert",
                                     minimum=0.0, maximum=600.0, unit="s", group="Alert", label="One person for")
    turn_sigmas: float = setting(MOOD_DEFAULTS.turn_sigmas, "a person's turn must also rise this many spreads of "
                                                            "their own resting readings",
                                 minimum=0.0, maximum=10.0, group="Alert", label="Turn beyond own spread")
    privacy: str = setting(privacy_levels.DEFAULT, "what is kept or sent about people: full (per face: id, box, "
                                                   "emotion), people (the same without where the face was), "
                                                   "aggregate (the queue's mood, counts and alerts once a second; "
                                                   "no id anywhere, no thumbnails)",
                           choices=privacy_levels.LEVELS, group="Privacy", label="Keep")
    blur_snapshots: bool = setting(True, "the window's snapshots (Ctrl+S) blur every face", group="Privacy",
                                   label="Blur faces in snapshots")
    min_group: int = setting(privacy_levels.MIN_GROUP, "privacy aggregate: a second with fewer faces counted "
                                                       "keeps no mood (the CSV's cell empty, none in metrics, the "
                                                       "webhook or a snapshot), only counts and alerts: one face's "
                                                       "mood is one person's", minimum=1, maximum=100, unit="faces", group="Privacy",
                             label="Mood kept from")
    keep_days: float = setting(0.0, "delete the files the monitor writes (recordings, a new one each UTC day; people "
                                    "CSV, stats, reports, snapshots) older than this, at start and every hour while "
                                    "it runs (0: keep them)", minimum=0.0, maximum=3650.0, unit="days",
                               group="Privacy", label="Delete files after")
    zone: str = setting("", "where people queue: corners 'x,y x,y x,y ...' as fractions of the frame (0..1), "
                            "several zones separated by ';', each with an optional 'NAME:'; a face outside every "
                            "zone is tracked but leaves the queue's mood and alerts (empty: the whole frame)",
                        group="Queue", label="Queue zone", metavar="ZONES")
    blur_screen: bool = setting(False, "the window blurs every face on screen and hides the thumbnails, for a "
                                       "display the customers can see (key B)", group="Privacy",
                                label="Blur faces on screen")

    def __post_init__(self) -> None:
        for f in fields(self):
            check(f.name, getattr(self, f.name))

    def mood(self) -> MoodConfig:
        """The mood stage's configuration, field by field (a renamed field fails here, not silently)."""
        return MoodConfig(threshold=self.threshold, window=self.window, duration=self.duration,
                          hysteresis=self.hysteresis, cooldown=self.cooldown, gap=self.gap, settle=self.settle,
                          turn=self.turn, person_duration=self.person_duration, turn_sigmas=self.turn_sigmas)

    def tile_grid(self) -> tuple[int, int] | None:
        if self.tiles == "off":
            return None
        cols, rows = (int(v) for v in self.tiles.lower().split("x"))
        return cols, rows

    def changed(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (validated)."""
        return replace(self, **changes)


def _field(name: str) -> Field[Any]:
    try:
        return Settings.__dataclass_fields__[name]
    except KeyError:
        raise ValueError(f"unknown setting {name!r}") from None


def check(name: str, value: Any) -> None:
    """ValueError with a one-line reason when ``value`` is not allowed for setting ``name``."""
    m = _field(name).metadata
    if m["choices"] and value not in m["choices"]:
        raise ValueError(f"{name} must be one of {', '.join(m['choices'])}, not {value!r}")
    if m["min"] is not None and not (m["min"] <= value <= m["max"]):
        raise ValueError(f"{name} must be between {m['min']} and {m['max']}{m['unit'] and ' ' + m['unit']}, "
                         f"not {value}")
    if name == "zone":
        parse_zones(value)
    if name == "tiles" and value != "off":
        parts = str(value).lower().split("x")
        if len(parts) != 2 or not all(p.isdigit() and 1 <= int(p) <= 8 for p in parts):
            raise ValueError(f"tiles must be COLSxROWS between 1x1 and 8x8 (e.g. 4x3) or 'off', not {value!r}")


def yes_no(value: object) -> bool:
    """A bool from a bool or its text (QSettings' INI files give "true"/"false" back)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def field_kind(f: Field[Any]) -> Callable[[Any], Any]:
    """The parser of a field's values (its type; yes_no for a bool)."""
    name = f.type if isinstance(f.type, str) else f.type.__name__
    kinds: dict[str, Callable[[Any], Any]] = {"str": str, "int": int, "float": float, "bool": yes_no}
    return kinds[name]


def window_fields() -> list[Field[Any]]:
    """The fields the window shows in its dialog and keeps between runs, in order."""
    return [f for f in fields(Settings) if f.metadata["in_dialog"]]


def load(store: Store, base: Settings | None = None) -> Settings:
    """Saved preferences over ``base``; a saved value that is no longer valid is ignored."""
    s = base or Settings()
    for f in window_fields():
        raw = store.value(f.name, None)
        if raw is None:
            continue
        try:
            s = replace(s, **{f.name: field_kind(f)(raw)})
        except (TypeError, ValueError):
            continue  # an old or hand-edited value: keep the default
    return s


def save(s: Settings, store: Store) -> None:
    for f in window_fields():
        store.setValue(f.name, getattr(s, f.name))
