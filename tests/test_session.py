"""The one run loop (runner.py) and the one settings model (settings.py)."""

import argparse
import threading
import time
from dataclasses import replace

import pytest

from emotion_monitor import settings as settings_model
from emotion_monitor.app import open_capture, open_runner
from emotion_monitor.capture import Capture
from emotion_monitor.errors import RecordingError
from emotion_monitor.recording import CsvRecorder
from emotion_monitor.resting import RestConfig
from emotion_monitor.settings import Settings
from emotion_monitor.types import CaptureOptions

from .conftest import scene
from .doubles import Sad, SyntheticSource, Turning


def synthetic_capture(astronaut_bgr, n=60, step=4, **kw):
    src = SyntheticSource(lambda i: scene(astronaut_bgr, i % 80, step=step), count=n, size=(960, 540))
    return Capture(lambda: src, "video", "synthetic", CaptureOptions(**kw))


def test_the_end_of_a_video_is_reported_and_the_summary_says_so(astronaut_bgr):
    status = []
    cap = synthetic_capture(astronaut_bgr, n=30)
    session = open_runner(Settings(), cap, classifier=Sad(), on_status=status.append)
    cap.start()
    summary = session.run()
    session.close()
    assert summary["frames"] == 30 and summary["ended"] and status[-1] == "end of video: 30 frames analysed of 30 read"


def test_the_demo_ends_at_its_own_length_and_a_user_limit_says_it_stopped_the_run(astronaut_bgr):
    """#52: --demo's own length is not the user's --max-frames; each closing line says which stopped it."""
    from emotion_monitor.options import capture_from

    demo = capture_from(argparse.Namespace(demo=True, max_frames=None))
    mine = capture_from(argparse.Namespace(demo=True, max_frames=12))
    assert demo.loop and demo.max_frames and demo.length_of == "the demo" and mine.length_of == ""
    looped = capture_from(argparse.Namespace(demo=True, max_frames=None, loop=True))  # --demo --loop: until stopped
    assert looped.loop and looped.max_frames is None and looped.length_of == ""
    for options, words in ((replace(demo, max_frames=12), "end of the demo"), (mine, "stopped by --max-frames")):
        status: list[str] = []
        cap = synthetic_capture(astronaut_bgr, n=30, max_frames=options.max_frames, length_of=options.length_of)
        session = open_runner(Settings(), cap, classifier=Sad(), on_status=status.append)
        cap.start()
        session.run()
        session.close()
        assert status[-1] == f"{words}: 12 frames analysed of 12 read"


def test_a_stopped_run_is_not_an_end_of_video(astronaut_bgr):
    status = []
    cap = synthetic_capture(astronaut_bgr, n=1000)
    session = open_runner(Settings(), cap, classifier=Sad(), on_status=status.append)
    cap.start()
    seen = []
    for r in session.results(lambda: len(seen) >= 5):
        seen.append(r)
    session.close()
    assert not session.lanes[0].ended and not any(s.startswith("end of video") for s in status)


def test_a_live_detector_switch_takes_effect_between_frames_and_starts_new_ids(astronaut_bgr):
    cap = synthetic_capture(astronaut_bgr, n=80)
    session = open_runner(Settings(detector="yunet", detect_every=1), cap, classifier=Sad())
    cap.start()
    names, ids = [], []
    for i, r in enumerate(session.results()):
        names.append(session.lanes[0].pipeline.detector.name)
        ids.append({t.track_id for t in r.tracks})
        if i == 30:
            session.update_settings(session.settings.changed(detector="haar"))
    session.close()
    assert names[:31] == ["yunet"] * 31 and set(names[32:]) == {"haar"}
    old_ids = set().union(*ids[:31])
    assert old_ids and set().union(*ids[40:]) and not (old_ids & set().union(*ids[40:]))


def test_pause_holds_a_file_where_it_is_without_dropping_frames(astronaut_bgr):
    cap = synthetic_capture(astronaut_bgr, n=60, realtime=True)  # real time: late frames are dropped...
    session = open_runner(Settings(), cap, classifier=Sad())
    cap.start()
    indices, marks = [], {}

    def wait_for(condition, timeout=10.0):
        end = time.monotonic() + timeout
        while not condition() and time.monotonic() < end:
            time.sleep(0.02)

    def settled(quiet=0.15):  # no result for `quiet` seconds: a frame already on its way has arrived
        seen = [len(indices), time.monotonic()]

        def check():
            if len(indices) != seen[0]:
                seen[:] = [len(indices), time.monotonic()]
            return time.monotonic() - seen[1] >= quiet
        return check

    def pause_for_a_while():
        wait_for(lambda: len(indices) >= 10)  # playing
        session.set_paused(True)
        wait_for(settled())
        marks["paused"] = (len(indices), cap.dropped)
        time.sleep(0.5)  # a while paused: what this test watches, nothing it waits for
        marks["resumed"] = (len(indices), cap.dropped)
        session.set_paused(False)

    t = threading.Thread(target=pause_for_a_while)
    t.start()
    for r in session.results():
        indices.append(r.frame.index)
    t.join()
    session.close()
    assert marks["paused"] == marks["resumed"]  # ...but none while paused, and nothing new is shown
    k = marks["paused"][0]
    assert indices[k] - indices[k - 1] <= 2  # playback resumes where it stopped, not a second later
    assert indices == sorted(set(indices)) and indices[-1] == 59


def test_a_failing_recording_stops_only_the_recording_with_one_line(astronaut_bgr, tmp_path):
    class Full(CsvRecorder):
        def write(self, result):
            if self.rows >= 5:
                raise RecordingError(f"cannot write CSV {self.path}: No space left on device")
            super().write(result)

    errors = []
    rec = Full(tmp_path / "rows.csv")
    cap = synthetic_capture(astronaut_bgr, n=40)
    session = open_runner(Settings(), cap, classifier=Sad(), sinks=[rec], on_sink_error=lambda s, m: errors.append(m))
    cap.start()
    summary = session.run()
    session.close()
    assert summary["frames"] == 40  # the run went on
    assert errors == [f"cannot write CSV {tmp_path / 'rows.csv'}: No space left on device"]
    lines = (tmp_path / "rows.csv").read_text().splitlines()
    assert len(lines) == 1 + 5  # header and the rows written before the failure, whole


def test_without_an_error_handler_a_failing_recording_ends_the_run(astronaut_bgr, tmp_path):
    class Broken(CsvRecorder):
        def write(self, result):
            raise RecordingError("cannot write CSV x: disk gone")

    cap = synthetic_capture(astronaut_bgr, n=40)
    session = open_runner(Settings(), cap, classifier=Sad(), sinks=[Broken(tmp_path / "x.csv")])
    cap.start()
    with pytest.raises(RecordingError):
        session.run()
    session.close()


def test_every_setting_has_one_option_with_its_default_help_and_range():
    from emotion_monitor import options as cli_options

    p = argparse.ArgumentParser()
    cli_options.add_arguments(p)
    fields = Settings.__dataclass_fields__
    options = {a.dest: a for a in p._actions if a.dest in fields}
    assert set(options) == set(fields)
    for name, action in options.items():
        opt = "--" + name.replace("_", "-")
        is_bool = isinstance(Settings.__dataclass_fields__[name].default, bool)
        assert action.help and action.option_strings == ([opt, "--no-" + opt[2:]] if is_bool else [opt])
    assert not cli_options.from_args(p.parse_args(["--no-flip-average"])).flip_average
    assert cli_options.from_args(p.parse_args([])) == Settings()
    s = cli_options.from_args(p.parse_args(["--threshold", "-0.5", "--detector", "haar", "--detect-every", "3"]))
    assert (s.threshold, s.detector, s.detect_every) == (-0.5, "haar", 3)
    with pytest.raises(SystemExit):
        p.parse_args(["--threshold", "2"])  # outside its range
    with pytest.raises(SystemExit):
        p.parse_args(["--detector", "dlib"])
    assert Settings().mood().threshold == Settings().threshold  # the mood stage gets the same values


def test_saved_preferences_round_trip_and_bad_values_fall_back():
    store = {}

    class Store:
        def value(self, k, default=None):
            return store.get(k, default)

        def setValue(self, k, v):
            store[k] = str(v)  # QSettings' INI files give strings back

    s = Settings(threshold=-0.45, detector="haar", min_face=30, window=12.5, flip_average=False)
    settings_model.save(s, Store())
    assert "tiles" not in store and "model" not in store  # command-line-only settings are not kept
    assert settings_model.load(Store()) == s
    store["threshold"] = "7"  # out of range: ignored
    assert settings_model.load(Store()).threshold == Settings().threshold


def test_the_window_refuses_run_options_it_cannot_honour(capsys):
    from emotion_monitor.cli import main

    assert main(["--gui", "--video", "x.mp4", "--stats-json", "s.json"]) == 2  # wrong arguments: 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("emotion-monitor: error: the window does not take --stats-json") and "\n" not in err


def test_the_window_refuses_a_recording_it_cannot_write_before_it_opens(capsys, tmp_path):
    """--gui --record into a missing folder, or under a file, exits 1 with one line, as headless does, before any
    window or display is touched (it opened the window and played on without recording, exit 0)."""
    from emotion_monitor import cli

    (tmp_path / "file").write_text("x")
    for bad in (tmp_path / "missing" / "x.csv", tmp_path / "file" / "x.csv"):
        assert cli.main(["--gui", "--video", "x.mp4", "--record", str(bad)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"emotion-monitor: error: cannot write CSV {bad}") and "\n" not in err
        assert not bad.exists()


def test_open_capture_loops_a_file(scene_video):
    cap = open_capture(video=str(scene_video), options=CaptureOptions(loop=True, max_frames=250))
    cap.start()
    frames = list(cap)
    cap.stop()
    assert len(frames) == 250 and [f.index for f in frames] == list(range(250))
    media = [f.media_time for f in frames]
    assert all(b > a for a, b in zip(media, media[1:]))  # the clock keeps counting across passes


def test_stages_fit_their_protocols_and_tiles_per_frame_0_means_every_view():
    from emotion_monitor.app import build_detector, build_pipeline
    from emotion_monitor.classifier import EmotionModel
    from emotion_monitor.detection import FaceDetector

    pipe = build_pipeline(Settings())
    try:
        assert isinstance(pipe.detector, FaceDetector) and isinstance(pipe.classifier, EmotionModel)
    finally:
        pipe.close()
    det = build_detector(Settings(detector="mediapipe", tiles_per_frame=0))
    try:
        assert isinstance(det, FaceDetector)
        views = det.views_for(1920, 1080)
        assert len(views) == 13 and det.tiles_per_frame is None  # the whole frame and 12 tiles, each call
    finally:
        det.close()


LIVE = {  # where each setting the window's dialog shows takes effect in the running pipeline
    "detector": lambda p: p.detector.name, "detect_every": lambda p: p.detector.every,
    "detect_width": lambda p: p.detector.max_width, "min_face": lambda p: p.config.min_face,
    "reid_seconds": lambda p: p.tracker.max_age,
    "flip_average": lambda p: p.classifier.flip_average, "read_rate": lambda p: p.config.read_rate,
    "zone": lambda p: " ".join(z.text() for z in p.config.zones),  # the zones the pipeline uses, as text
}
NEW = {"detector": "haar", "detect_every": 3, "detect_width": 640, "min_face": 30, "flip_average": False, "read_rate": 5.0,
       "threshold": -0.5, "window": 4.0, "duration": 3.0, "hysteresis": 0.2, "cooldown": 10.0,
       "gap": 5.0, "settle": 8.0, "turn": 2.5, "person_duration": 5.0,
       "turn_sigmas": 3.0, "privacy": "aggregate", "zone": "0,0 1,0 1,1", "blur_snapshots": False, "blur_screen": True,
       "min_group": 5, "keep_days": 7.0,
       "reid_seconds": 12.0}
SESSION = {  # settings read from the runner itself: the window's worker reads the blur per frame
    "privacy": lambda s: "aggregate" if not s.lanes[0].people.people else s.settings.privacy,  # nobody kept from then on
    "blur_screen": lambda s: s.settings.blur_screen, "blur_snapshots": lambda s: s.settings.blur_snapshots,
    "min_group": lambda s: s.lanes[0].settings.min_group, "keep_days": lambda s: s.settings.keep_days,
}


@pytest.mark.parametrize("name", [f.name for f in settings_model.window_fields()])
def test_every_setting_of_the_dialog_applies_live(name, astronaut_bgr):
    class Flippable(Sad):
        flip_average = True

    assert name in NEW, f"a new dialog setting needs its live check here: {name}"
    cap = synthetic_capture(astronaut_bgr, n=12)
    start = Settings(detect_every=1) if name == "detector" else Settings()
    session = open_runner(start, cap, classifier=Flippable())
    get = LIVE.get(name, lambda p: getattr(p.mood.config, name))
    if name in RestConfig.__dataclass_fields__:  # the per-person part too (resting.py)
        get = lambda p: (getattr(p.mood.config, name), getattr(p.mood._rest, name))[1]  # noqa: E731
    cap.start()
    seen = []
    for i, _ in enumerate(session.results()):
        seen.append(SESSION[name](session) if name in SESSION else get(session.lanes[0].pipeline))
        if i == 4:
            session.update_settings(session.settings.changed(**{name: NEW[name]}))
    session.close()
    assert seen[0] != NEW[name] and seen[-1] == NEW[name], (name, seen)


def test_listeners_connect_to_a_runs_signals_at_any_time_and_no_runner_attribute_is_patched(astronaut_bgr, tmp_path):
    """Events are signals (psygnal): a window connecting after the run was built hears every alert, and
    nothing in the package assigns a runner's or a capture's callback attribute from outside."""
    import re
    from pathlib import Path

    cap = synthetic_capture(astronaut_bgr, n=150, step=0)  # a face that stands: a turn is told on people who stand
    session = open_runner(Settings(window=0.4, duration=0.4, settle=0.5, person_duration=0.4), cap,
                          classifier=Turning(calm=40))
    heard, lines = [], []
    session.event.connect(heard.append)  # after construction: nothing to overwrite
    session.status.connect(lines.append)
    cap.status.connect(lines.append)
    assert not session.drops_failing_sinks  # nobody listens to sink_failed: a failing sink ends the run
    session.sink_failed.connect(lambda sink, msg: None)
    assert session.drops_failing_sinks
    cap.start()
    session.run()
    session.close()
    assert heard and heard[0].kind == "alert" and heard[0].text.startswith("ALERT")  # a face turned sad
    assert any(line.startswith("end of video") for line in lines)
    root = Path(__file__).resolve().parent.parent / "emotion_monitor"
    patched = [f"{p.name}: {m.group(0)}" for p in root.rglob("*.py")
               for m in re.finditer(r"\b(?!self\b)\w+\.on_(event|status|warning|sink_error)\s*=(?!=)", p.read_text())]
    assert patched == []


@pytest.mark.parametrize("gui", [False, True])
def test_a_recording_path_refused_says_why_in_the_words_of_every_other_path(capsys, tmp_path, gui):
    """One wording for one reason: "it is a folder" and "folder does not exist", as --stats-json, --people-csv
    and the report say it (the CSV said "Is a directory" beside them)."""
    from emotion_monitor import cli

    for bad, why in ((tmp_path, "it is a folder"), (tmp_path / "missing" / "x.csv", "folder does not exist")):
        args = ["--gui"] * gui + ["--video", "x.mp4", "--record", str(bad)]
        assert cli.main(args) == 1
        err = capsys.readouterr().err.strip()
        assert err == f"emotion-monitor: error: cannot write CSV {bad}: {why}", err
