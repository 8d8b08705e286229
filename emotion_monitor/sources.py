"""The sources of a monitor: a camera index or a video path each, under a name that labels its rows,
metrics and alerts; from repeated ``--camera`` / ``--video`` options or a TOML file.

A sources file (TOML)::

    [[source]]
    name = "Lane 1"
    camera = 0

    [[source]]
    name = "Lane 2"
    video = "lane2.mp4"   # relative to the file's folder
    zone = "0.1,0.2 0.6,0.2 0.6,1 0.1,1"   # where people queue in this view (zones.py; default: --zone)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError
from .zones import parse_zones


@dataclass(frozen=True)
class SourceSpec:
    """One source of a monitor: a camera index or a video path, under a name that labels its rows,
    metrics and alerts."""

    name: str
    camera: int | None = None
    video: str | None = None
    zone: str | None = None  # its queue zones (zones.parse_zones); None: the settings' zone

    def __post_init__(self) -> None:
        if self.zone is not None:
            try:
                parse_zones(self.zone)
            except ValueError as exc:
                raise SourceError(f"source {self.name!r}: {exc}") from None
        if (self.camera is None) == (self.video is None):
            raise SourceError(f"source {self.name!r}: give a camera or a video, not {'both' if self.camera else 'neither'}")
        if not self.name.strip():
            raise SourceError("a source needs a name")

    @property
    def kind(self) -> str:
        return "camera" if self.camera is not None else "video"


def sources_from_args(cameras: Sequence[int] = (), videos: Sequence[str] = ()) -> list[SourceSpec]:
    """Sources from repeated ``--camera`` and ``--video`` options, named by their index or path."""
    specs = [SourceSpec(str(c), camera=c) for c in cameras] + [SourceSpec(str(v), video=str(v)) for v in videos]
    _check_unique(specs, "the command line")
    return specs


def load_sources(path: str | Path) -> list[SourceSpec]:
    """The sources of a TOML file (see the module docstring); SourceError with one line if it is wrong."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"cannot read sources file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"sources file {path} is not valid TOML: {exc}") from None
    entries = doc.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourceError(f"sources file {path} has no [[source]] tables")
    specs = []
    for i, e in enumerate(entries, 1):
        where = f"{path}: source {i}"
        unknown = set(e) - {"name", "camera", "video", "zone"}
        if unknown:
            raise SourceError(f"{where}: unknown key {sorted(unknown)[0]!r} (name, camera, video, zone)")
        zone = e.get("zone")
        if zone is not None and not isinstance(zone, str):
            raise SourceError(f"{where}: zone must be text 'x,y x,y x,y', not {zone!r}")
        camera, video = e.get("camera"), e.get("video")
        if camera is not None and (not isinstance(camera, int) or isinstance(camera, bool) or camera < 0):
            raise SourceError(f"{where}: camera must be an index >= 0, not {camera!r}")
        if video is not None:
            if not isinstance(video, str):
                raise SourceError(f"{where}: video must be a path, not {video!r}")
            video = str(path.parent / video) if not Path(video).is_absolute() else video
        name = e.get("name", str(camera) if camera is not None else video)
        if not isinstance(name, str):
            raise SourceError(f"{where}: name must be text, not {name!r}")
        try:
            specs.append(SourceSpec(name, camera=camera, video=video, zone=zone))
        except SourceError as exc:
            raise SourceError(f"{where}: {exc}") from None
    _check_unique(specs, str(path))
    return specs


def _check_unique(specs: list[SourceSpec], where: str) -> None:
    seen: set[str] = set()
    for s in specs:
        if s.name in seen:
            raise SourceError(f"{where}: two sources are named {s.name!r}; give each its own name")
        seen.add(s.name)
