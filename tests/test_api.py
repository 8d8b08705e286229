"""The public Python API (emotion_monitor), its examples and README section, and the rough edges of #24."""

import csv
import json
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import cv2
import numpy as np
import pytest

import emotion_monitor as em

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_package_loads_nothing_and_changes_nothing():
    code = ("import os, sys; before = dict(os.environ); import emotion_monitor as em; "
            "assert dict(os.environ) == before, 'environment changed'; "
            "heavy = {'cv2', 'numpy', 'emotion_monitor.app', 'PySide6'} & set(sys.modules); "
            "assert not heavy, heavy; print(em.__version__)")
    env = {k: v for k, v in os.environ.items() if k not in ("GLOG_minloglevel", "TF_CPP_MIN_LOG_LEVEL")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == em.__version__


def test_every_public_name_is_documented_and_the_calls_say_args_returns_and_example():
    for name in em.__all__:
        obj = getattr(em, name)
        if name in ("__version__", "LABELS"):
            continue
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
    for fn in (em.analyze, em.Monitor):
        doc = fn.__doc__
        assert "Args:" in doc and "Example:" in doc and ("Returns:" in doc or fn is em.Monitor), fn
    assert (ROOT / "emotion_monitor" / "py.typed").exists()
    with pytest.raises(AttributeError):
        em.not_a_name  # noqa: B018


def test_version_is_one_number_everywhere():
    proc = subprocess.run([sys.executable, "-m", "emotion_monitor.cli", "--version"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.stdout.strip() == f"emotion-monitor {em.__version__}"
    assert f"## {em.__version__}" in (ROOT / "CHANGELOG.md").read_text()
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text()


def test_analyze_finds_the_face_and_reads_it(astronaut_bgr, tmp_path):
    faces = em.analyze(astronaut_bgr)
    assert len(faces) == 1
    f = faces[0]
    x0, y0, x1, y1 = f.xyxy
    assert 150 < (x0 + x1) / 2 < 300 and 40 < (y0 + y1) / 2 < 200  # her face (conftest.ASTRONAUT_FACE)
    assert f.emotion in em.LABELS and f.confidence == max(f.probabilities.values())
    assert sum(f.probabilities.values()) == pytest.approx(1, abs=1e-3)
    assert -1 <= f.score <= 1 and f.quality == "ok"
    with pytest.raises(TypeError):
        f.probabilities["happy"] = 1.0  # read-only
    path = tmp_path / "a.png"
    cv2.imwrite(str(path), astronaut_bgr)
    assert [g.emotion for g in em.analyze(path)] == [f.emotion]  # a path reads the same
    assert em.analyze(np.full((120, 160, 3), 128, np.uint8)) == []
    with pytest.raises(em.MonitorError, match="cannot read an image"):
        em.analyze(tmp_path / "missing.png")
    with pytest.raises(em.MonitorError, match="not an image"):
        em.analyze(np.zeros((5, 5, 3), np.float64) - 1)


def test_a_monitor_yields_tracked_results_and_feeds_its_sinks(scene_video, tmp_path):
    out = tmp_path / "m.csv"
    with em.Monitor(scene_video, sinks=[em.CsvRecorder(out)]) as monitor:
        results = list(monitor)
        summary = monitor.summary()
        people = summary["people"]
    # the summary is typed: exactly RunSummary's keys, each person exactly PersonSummary's
    hints = typing.get_type_hints(em.RunSummary)
    assert set(summary) == set(hints) and set(people[0]) == set(typing.get_type_hints(em.PersonSummary))
    assert all(isinstance(summary[k], int) for k in ("frames", "csv_rows")) and summary["privacy"] == "people"
    assert len(results) == 30 and all(isinstance(r, em.FrameResult) for r in results)
    ids = {t.track_id for r in results for t in r.tracks}
    assert ids == {1} and [p["person"] for p in people] == [1]
    with pytest.raises(ValueError):
        results[0].frame.image[0, 0, 0] = 1  # results never change: the frame is read-only too
    rows = list(csv.reader(out.open()))
    assert len(rows) - 1 == sum(len(r.tracks) for r in results)
    with pytest.raises(em.SourceError):
        em.Monitor(tmp_path / "missing.mp4")
    with pytest.raises(em.MonitorError, match="closed"):
        next(iter(monitor))


def test_a_monitor_watches_several_sources_through_one_classifier(scene_video, tmp_path):
    """A list of sources: one runner, every source's results (named by their source), one classifier call
    for the faces of both, each source's figures in a SourcesSummary; a missing one fails alone."""
    import shutil

    second = tmp_path / "second.avi"
    shutil.copy(scene_video, second)
    with em.Monitor([scene_video, second]) as monitor:
        results = list(monitor)
        summary = monitor.summary()
    assert set(summary) == set(typing.get_type_hints(em.SourcesSummary))
    assert {r.frame.source for r in results} == {str(scene_video), str(second)}
    assert [summary["sources"][str(p)]["frames"] for p in (scene_video, second)] == [30, 30]
    assert all(e["state"] == "ended" for e in summary["sources"].values())
    # one call a round for both sources' faces: fewer calls than frames. Not "at most 31": a round takes each
    # source's newest frame there is, and on a loaded machine (a fresh clone's make test beside a benchmark: 37)
    # some rounds hold one source's frame only
    assert summary["classifier_calls"] < summary["frames"] == 60
    with em.Monitor([scene_video, tmp_path / "missing.mp4"]) as monitor:
        frames = sum(1 for _ in monitor)
        states = {name: e["state"] for name, e in monitor.summary()["sources"].items()}
    assert frames == 30 and states == {str(scene_video): "ended", str(tmp_path / "missing.mp4"): "failed"}
    with pytest.raises(em.SourceError, match="given once"):
        em.Monitor([scene_video, scene_video])


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use it from Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_python_example_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-c", _readme_example()], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "mood" in proc.stdout and (tmp_path / "session.csv").stat().st_size > 100


@pytest.mark.parametrize("script,args,expect", [("analyze_image.py", [], "face(s)"),
                                                ("watch_video.py", ["--csv", "w.csv"], "people; rows in w.csv")])
def test_the_examples_run(script, args, expect, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout


def test_one_mood_format_on_every_surface():
    from emotion_monitor.events import event_of
    from emotion_monitor.mood import format_mood
    from emotion_monitor.overlay import draw
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Detections, Frame, FrameResult, MoodState

    assert format_mood(-0.004) == "mood +0.00" and format_mood(-0.27) == "mood -0.27"
    m = MoodState(-0.004, 0.0, 2, True, event="alert", reason="group", vs_rest=-0.35)
    text = event_of(FrameResult(Frame(np.zeros((8, 8, 3), np.uint8), 1, 0.0), Detections(), (), m), Settings()).text
    assert "mood +0.00 " in text  # not "mood -0.00"
    src = {p: (ROOT / "emotion_monitor" / p).read_text() for p in ("events.py", "overlay.py", "gui/mood_panel.py")}
    for path, code in src.items():  # nobody formats the mood on their own any more
        assert "format_mood(" in code and not re.search(r"mood \{[^}]*:\+\.2f\}", code), path
    for path in ("gui/alert_panel.py", "gui/mood_panel.py", "report.py"):  # nor a score: no "-0.00" anywhere
        code = (ROOT / "emotion_monitor" / path).read_text()
        assert not re.search(r"\{[^}]*(mood|score)[^}]*:\+\.2f\}", code), path
        assert "format_score(" in code or path == "gui/alert_panel.py", path  # the banner shows mood.banner_text
    draw(np.zeros((50, 80, 3), np.uint8), FrameResult(Frame(np.zeros((50, 80, 3), np.uint8), 1, 0.0), Detections(), (),
                                                       m))


def test_one_time_convention_utc_everywhere():
    from emotion_monitor.recording import clock_utc, iso_utc

    ts = 1796067040.5
    assert iso_utc(ts) == "2026-11-30T19:30:40.500Z" and clock_utc(ts) == "19:30:40 UTC"
    window = (ROOT / "emotion_monitor" / "gui" / "window.py").read_text()
    banner = (ROOT / "emotion_monitor" / "gui" / "alert_panel.py").read_text()  # the window's alert side
    assert "clock_utc(event.timestamp)" in banner and "fromtimestamp(" not in window + banner  # no local time left


def test_one_csv_schema():
    from emotion_monitor import recording, session_csv

    assert set(session_csv.REQUIRED) <= set(recording.HEADER)
    code = (ROOT / "emotion_monitor" / "session_csv.py").read_text()
    assert "Col." in code and not re.search(r'col\[\s*"|col\.get\(\s*"', code)  # columns by the recorder's names
    assert not re.search(r'REQUIRED = \("', code)


def test_a_truncated_video_ends_with_one_warning_line(tmp_path):
    from emotion_monitor.capture import Capture

    from .doubles import SyntheticSource

    def image(i):
        return np.full((48, 64, 3), i, np.uint8)

    cap = Capture(lambda: SyntheticSource(image, count=40, fail=range(25, 40)), "video", "cut.mp4")  # says 40, has 25
    cap.start()
    assert len(list(cap.frames())) == 25
    assert cap.ended_early() == "cut.mp4 ended early: 25 of 40 frames; the file may be truncated or damaged"
    whole = Capture(lambda: SyntheticSource(image, count=40), "video", "whole.mp4")
    whole.start()
    assert len(list(whole.frames())) == 40 and whole.ended_early() is None


def test_demo_overwrites_its_own_csv(scene_video, tmp_path):
    out = tmp_path / "demo.csv"
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-m", "emotion_monitor.cli", "--video", str(scene_video), "--record",
                               str(out), "--overwrite", "--quiet"], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(out.open()))
    assert sum(r[0] == "timestamp" for r in rows) == 1 and 25 <= len(rows) - 1 <= 30  # one session, not two
    assert "--overwrite" in (ROOT / "Makefile").read_text().split("demo:")[1].split("\n\n")[0]


def test_haar_says_its_cost_in_help():
    """The help gives each detector's rate on the same clip (benchmarks/detection.py measures them): read back
    and compared, not pinned, so that a new measurement changes the text and not this test."""
    from emotion_monitor.cli import build_parser

    text = " ".join(build_parser().format_help().split())
    fps = {name: float(v) for name, v in re.findall(r"\b(yunet|haar) \([^)]*?(\d+(?:\.\d+)?) fps on the 1080p crowd", text)}
    assert set(fps) == {"yunet", "haar"} and fps["haar"] < fps["yunet"] / 5, fps
    assert "haar (frontal faces only, and slow on large frames" in text


def test_a_missing_training_extra_is_one_line():
    code = ("import sys; sys.modules['keras'] = None; from training.__main__ import main; "
            "sys.exit(main(['models']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "python -m training: error: training needs the [train] extra: pip install 'emotion-monitor[train]' "
        "(keras is not installed)"]


def test_importing_and_analysing_leave_the_environment_as_it_was():
    """The core's OpenCV is the headless wheel, whose import sets no QT_* variable: nothing here undoes anything.

    The contrib wheel (which MediaPipe requires) pointed Qt at OpenCV's own plugins and fonts when cv2 was
    imported; with [mediapipe] the headless wheel owns the cv2 folder (docs/install.md, "Two OpenCV wheels").
    What is left is every OpenCV wheel's loader prepending its own lib64 folder to LD_LIBRARY_PATH (it says
    "works for sub-processes only"): a folder inside cv2's own, left as OpenCV writes it.
    """
    import subprocess
    import sys
    from pathlib import Path

    code = ("import os, json, numpy as np; before = dict(os.environ); import emotion_monitor as em; "
            "em.analyze(np.zeros((120, 160, 3), np.uint8)); import emotion_monitor.gui.main; import cv2; "
            "after = dict(os.environ); print(json.dumps([cv2.__file__, cv2.version.headless, "
            "{k: [before.get(k), after.get(k)] for k in set(before) | set(after) if before.get(k) != after.get(k)}]))")
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_QPA_PLATFORM_PLUGIN")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root,
                          env={**env, "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    cv2_file, headless, changed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert headless, "cv2 is not the headless build: opencv-contrib-python owns the cv2 folder (docs/install.md)"
    assert set(changed) <= {"LD_LIBRARY_PATH"}  # was QT_QPA_FONTDIR, QT_QPA_PLATFORM_PLUGIN_PATH with the contrib wheel
    if changed:
        before, after = changed["LD_LIBRARY_PATH"]
        added = after[: len(after) - len(before or "")].rstrip(":").split(":")
        assert after.endswith(before or "") and all(p.startswith(str(Path(cv2_file).parent)) for p in added)


def test_the_demo_clip_and_the_sink_protocol_are_public():
    from emotion_monitor.events import Sink

    clip = em.demo_clip()
    assert clip.name == "demo.mp4" and clip.is_file() and em.Sink is Sink
    with em.Monitor(str(clip), max_frames=3) as monitor:
        assert len(list(monitor)) == 3  # a source a newcomer can run without a camera


def test_the_readme_is_read_in_five_minutes_and_its_links_lead_somewhere():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    links = re.findall(r"\]\(((?:docs|models|training|examples|assets)/[^)#]+)\)", text)
    assert links and [link for link in links if not (ROOT / link).exists()] == []


def test_a_face_has_one_vocabulary_in_the_api_and_the_tracks_and_the_old_names_warn(astronaut_bgr, scene_video):
    """Face said box / emotion / probabilities where Track said xyxy / label / probs."""
    import dataclasses
    import warnings

    from emotion_monitor.types import Track

    face = em.analyze(astronaut_bgr)[0]
    with em.Monitor(scene_video, max_frames=5) as monitor:
        track = [t for r in monitor for t in r.tracks][-1]
    shared = ("xyxy", "emotion", "confidence", "probabilities", "quality")
    for obj in (face, track):
        x0, y0, x1, y1 = obj.xyxy
        assert x0 < x1 and y0 < y1 and obj.emotion in em.LABELS and obj.quality == "ok"
        assert obj.confidence == max(obj.probabilities.values()) and set(obj.probabilities) == set(em.LABELS)
        assert all(hasattr(obj, name) for name in shared)
    assert dict(track.probabilities) == pytest.approx(dict(zip(em.LABELS, track.probs.tolist())))
    with pytest.raises(TypeError):
        track.probabilities["happy"] = 1.0  # read-only, as a Face's
    assert "box" not in {f.name for f in dataclasses.fields(em.Face)} and "label" not in Track.__dict__.get(
        "__dataclass_fields__", {})
    with pytest.warns(DeprecationWarning, match="Face.xyxy"):
        assert face.box == face.xyxy
    with pytest.warns(DeprecationWarning, match="Track.emotion"):
        assert track.label == track.emotion
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names warn of nothing
        assert track.probabilities[track.emotion] == pytest.approx(track.confidence) and len(face.xyxy) == 4


class _PlantedBoxes:
    """A detector that finds the boxes a test plants: a face, a second box on its hair, a 12-px one, a weak one,
    and a crowd of 70 small faces (more than the 64 a frame keeps)."""

    score_threshold = 0.5
    fresh = True

    def __init__(self):
        crowd = [(60 * (i % 10), 300 + 55 * (i // 10), 21 + i % 10) for i in range(70)]
        boxes = [(100, 100, 200, 200, 0.9), (100, 50, 200, 150, 0.8), (400, 40, 412, 52, 0.9), (300, 100, 360, 160, 0.3)]
        boxes += [(x, y, x + s, y + s, 0.9) for x, y, s in crowd]
        self.xyxy = np.array([b[:4] for b in boxes], np.float32)
        self.confidence = np.array([b[4] for b in boxes], np.float32)

    def __call__(self, image, hints=None):
        from emotion_monitor.types import Detections

        return Detections(self.xyxy, self.confidence)

    def reset(self):
        pass


def test_analyze_keeps_the_faces_the_monitor_keeps_and_reads_each_of_them(monkeypatch, astronaut_bgr):
    """One path for a frame: analyze() and the monitor's pipeline apply the same filters (pipeline.keep_faces): no
    face under min_face, one box a head, no weak box starting a face, the 64 largest. The monitor's classify
    budget (24 a frame) defers only the re-reading of faces read before, new ones are read at once: a single
    image has none read before, so both read every face they keep."""
    import emotion_monitor.api as api
    import emotion_monitor.app as app
    from emotion_monitor.pipeline import Pipeline, PipelineConfig
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Frame

    monkeypatch.setattr(app, "build_detector", lambda settings: _PlantedBoxes())
    monkeypatch.setattr(api, "_DEFAULT", {})
    image = cv2.resize(astronaut_bgr, (1280, 720))
    faces = em.analyze(image, Settings(min_face=20))
    pipeline = Pipeline(_PlantedBoxes(), classifier=None, config=PipelineConfig(min_face=20))  # type: ignore[arg-type]
    prepared = pipeline.prepare(Frame(image, 0, 0.0))
    kept = sorted(map(tuple, prepared.dets.xyxy.tolist()))
    assert sorted(f.xyxy for f in faces) == kept
    assert len(kept) == 64 and (100, 100, 200, 200) in kept  # the face, and the 63 largest of the crowd
    assert not {(100, 50, 200, 150), (400, 40, 412, 52), (300, 100, 360, 160)} & set(kept)  # hair, 12 px, weak
    assert len(prepared.pick) == 64  # the monitor reads all of them on their first frame
    assert all(np.isfinite(list(f.probabilities.values())).all() for f in faces)  # and analyze too
