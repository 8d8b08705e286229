"""Several sources in one monitor (runner.py): one CSV with the source column, metrics per source,
alerts naming their lane, one lane's fault leaving the others running; synthetic sources."""

import csv
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import cv2
import numpy as np
import pytest

from emotion_monitor.capture import Capture
from emotion_monitor.errors import SourceError
from emotion_monitor.recording import HEADER, CsvRecorder
from emotion_monitor.runner import Runner, store_mood
from emotion_monitor.settings import Settings
from emotion_monitor.sources import SourceSpec, load_sources
from emotion_monitor.types import LABELS, CaptureOptions
from tests.conftest import ROOT, scene

from .doubles import SyntheticSource


class Counting:
    """Neutral for the first ``calm_calls`` calls, sad until call ``sad_calls``, happy after (a face that
    turns: a level never alerts); records each call's batch size."""

    size, name = 48, "counting"

    def __init__(self, sad_calls=0, calm_calls=0):
        self.sad_calls, self.calm_calls, self.batches = sad_calls, calm_calls, []

    def __call__(self, crops):
        self.batches.append(len(crops))
        n = len(self.batches)
        p = np.full((len(crops), 7), 0.02, np.float32)
        p[:, LABELS.index("neutral" if n <= self.calm_calls else "sad" if n <= self.sad_calls else "happy")] = 0.88
        return p


def half_size_scenes(astronaut_bgr, step):
    """The face (moving ``step`` px a frame) at 480x270, drawn once: the lanes' behaviour, not the detector's
    speed, is under test."""
    return [cv2.resize(scene(astronaut_bgr, i, step=step), (480, 270)) for i in range(60)]


def lanes_of(astronaut_bgr, counts, kind="video", fail_at=None):
    """An opener for the Runner: lane i plays counts[i] frames of the moving face; ``fail_at``
    maps a lane's name to the frame where its source raises (a decoder that dies)."""
    fail_at = fail_at or {}
    frames = half_size_scenes(astronaut_bgr, step=0)

    def opener(spec, on_status):
        n = counts[spec.name]
        src = SyntheticSource(lambda i: frames[i % 60], count=n, size=(480, 270))
        if spec.name in fail_at:
            read, at = src.read, fail_at[spec.name]

            def dying():
                if src.i >= at:
                    raise RuntimeError("decoder crashed")
                return read()
            src.read = dying
        return Capture(lambda: src, kind, f"{spec.name}.mp4", on_status=on_status, source=spec.name)
    return opener


def specs(*names):
    return [SourceSpec(n, video=f"{n}.mp4") for n in names]


SETTINGS = Settings(window=0.4, duration=0.4, cooldown=0.0, detect_every=1, settle=0.5, person_duration=0.4)


def test_every_lane_is_recorded_in_one_csv_and_classified_in_shared_batches(astronaut_bgr, tmp_path):
    counts = {"Lane 1": 40, "Lane 2": 60, "Lane 3": 25}
    clf = Counting()
    rec = CsvRecorder(tmp_path / "store.csv")
    multi = Runner(SETTINGS, specs(*counts), sinks=[rec], classifier=clf,
                         open_capture=lanes_of(astronaut_bgr, counts))
    summary = multi.run()
    multi.close()
    with open(tmp_path / "store.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADER and "source" in HEADER and all(len(r) == len(HEADER) for r in rows)
    per_lane = {name: {int(r[1]) for r in rows[1:] if r[HEADER.index("source")] == name} for name in counts}
    assert {k: len(v) for k, v in per_lane.items()} == counts  # every frame of every lane, one face each
    # the summary per source; the lanes ran side by side, so their faces shared classifier calls
    assert {k: v["frames"] for k, v in summary["sources"].items()} == counts
    assert all(v["state"] == "ended" for v in summary["sources"].values())
    assert summary["frames"] == sum(counts.values()) == len(rows) - 1
    assert summary["classifier_calls"] == len(clf.batches) < summary["frames"]
    assert max(clf.batches) == 3 and summary["faces_per_call"] > 1.5


def test_alerts_name_their_lane_and_metrics_carry_the_source_label(astronaut_bgr, tmp_path):
    from emotion_monitor.metrics import MetricsSink

    counts = {"Lane 1": 60, "Lane 2": 60}
    events = []
    metrics = MetricsSink(0, "store-7", sources=list(counts))
    multi = Runner(SETTINGS, specs(*counts), sinks=[metrics], classifier=Counting(calm_calls=30, sad_calls=80),
                         open_capture=lanes_of(astronaut_bgr, counts), on_event=events.append)
    try:
        multi.run()
        page = urllib.request.urlopen(f"http://127.0.0.1:{metrics.port}/metrics", timeout=5).read().decode()
    finally:
        multi.close()
    alerts = [e for e in events if e.kind == "alert"]
    assert sorted(e.source for e in alerts) == ["Lane 1", "Lane 2"]
    for e in alerts:
        assert e.text.startswith(f"ALERT [{e.source}] ")
    for lane in counts:
        assert f'emotion_monitor_frames_total{{camera="store-7",source="{lane}"}} 60.0' in page
        assert f'emotion_monitor_alerts_total{{camera="store-7",source="{lane}"}} 1.0' in page


def test_a_lane_that_dies_leaves_the_others_running_and_the_csv_valid(astronaut_bgr, tmp_path):
    """Lane 2's file breaks off at frame 20 (its decoder raises); the camera goes dark for a while."""
    counts = {"Lane 1": 120, "Lane 2": 80}
    files = lanes_of(astronaut_bgr, counts, fail_at={"Lane 2": 20})

    def opener(spec, on_status):
        if spec.name != "cam":
            return files(spec, on_status)
        frames = half_size_scenes(astronaut_bgr, step=4)
        src = SyntheticSource(lambda i: frames[i % 60], size=(480, 270), fail=range(10, 40))

        def device():  # the same device each time it is reopened (release() closed it)
            src.opened = True
            return src
        # paced at its 25 fps as a camera is (unpaced, its thread spent a core drawing frames nobody took)
        return Capture(device, "camera", "2", CaptureOptions(backoff=0.05, max_backoff=0.1, realtime=True),
                       on_status=on_status, source="cam")

    warnings = []
    rec = CsvRecorder(tmp_path / "store.csv")
    multi = Runner(SETTINGS, [*specs(*counts), SourceSpec("cam", camera=2)], sinks=[rec], classifier=Counting(),
                         open_capture=opener, on_warning=warnings.append)
    seen, frames = [], set()
    deadline = time.monotonic() + 60
    back_again = lambda: any("reconnected" in w for w in warnings)  # noqa: E731
    for r in multi.results(lambda: (multi.lanes[0].state == "ended" and back_again()) or time.monotonic() > deadline):
        seen.append(r.frame.source)
        frames.add((r.frame.source, str(r.frame.index)))
    summary = multi.summary()
    multi.close()
    back = next(w for w in warnings if "reconnected" in w)
    assert back.startswith("cam: camera 2: reconnected after ")  # one line when it went, one when it came back
    assert sorted(warnings) == sorted(["Lane 2: Lane 2.mp4 ended early: 20 of 80 frames; the file may be truncated or damaged",
                                       "cam: camera 2: no frames; retrying every 0.05-0.1 s", back])
    lanes = summary["sources"]
    assert lanes["Lane 2"]["state"] == "ended" and lanes["Lane 2"]["frames"] == 20
    assert lanes["Lane 1"]["frames"] == 120 and lanes["cam"]["state"] == "running"
    assert seen.index("cam") < len(seen) - 1 - seen[::-1].index("Lane 2")  # side by side: cam began before Lane 2 ended
    with open(tmp_path / "store.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(None not in r.values() for r in rows)  # every row whole
    assert {(r["source"], r["frame"]) for r in rows} <= frames and {r["source"] for r in rows} == {"Lane 1", "Lane 2", "cam"}


def test_a_camera_that_cannot_be_opened_is_tried_again_and_joins(astronaut_bgr):
    counts = {"Lane 1": 200, "cam": 0}
    tries = []
    files = lanes_of(astronaut_bgr, counts)

    def opener(spec, on_status):
        if spec.name != "cam":
            return files(spec, on_status)
        tries.append(1)
        if len(tries) < 3:
            raise SourceError("no camera at index 4 (is one connected and free?)")
        src = SyntheticSource(lambda i: scene(astronaut_bgr, i % 60, step=4), size=(960, 540))
        return Capture(lambda: src, "camera", "4", on_status=on_status, source="cam")

    warnings, seen = [], []
    multi = Runner(SETTINGS, [SourceSpec("Lane 1", video="a.mp4"), SourceSpec("cam", camera=4)],
                         classifier=Counting(), open_capture=opener, on_warning=warnings.append, retry_every=0.05)
    for r in multi.results(lambda: len([s for s in seen if s == "cam"]) >= 10):
        seen.append(r.frame.source)
    multi.close()
    assert len(tries) == 3 and "cam" in seen and "Lane 1" in seen
    assert warnings[0].startswith("cam: no camera at index 4") and "tried again every 0.05 s" in warnings[0]
    assert warnings[1:] == ["cam: opened after no camera at index 4 (is one connected and free?)"]  # once each


def test_no_source_that_opens_is_one_error_naming_each():
    def opener(spec, on_status):
        raise SourceError(f"video not found: {spec.video}")

    with pytest.raises(SourceError, match=r"^no source could be opened: a: video not found: a.mp4; b: video not found"):
        Runner(SETTINGS, specs("a", "b"), classifier=Counting(), open_capture=opener)


def test_the_store_mood_weighs_each_lane_by_its_counted_faces():
    from emotion_monitor.types import Detections, Frame, FrameResult, MoodState

    def result(score, faces):
        return FrameResult(Frame(np.zeros((8, 8, 3), np.uint8), 0, 0.0), Detections(), (), MoodState(score, 0.0, faces, False))

    assert store_mood([result(-0.6, 1), result(0.3, 3), None]) == (pytest.approx(0.075), 4)
    assert store_mood([result(0.5, 0)]) == (0.0, 0)


def test_a_sources_file_names_each_lane_and_reports_mistakes_in_one_line(tmp_path):
    f = tmp_path / "lanes.toml"
    f.write_text('[[source]]\nname = "Lane 1"\ncamera = 0\n\n[[source]]\nname = "Lane 2"\nvideo = "clips/l2.mp4"\n')
    assert load_sources(f) == [SourceSpec("Lane 1", camera=0), SourceSpec("Lane 2", video=str(tmp_path / "clips/l2.mp4"))]
    for text, message in (("[[source]]\nname = 'a'\n", "give a camera or a video, not neither"),
                          ("[[source]]\ncamera = -1\n", "camera must be an index >= 0"),
                          ("[[source]]\ncamera = 0\nurl = 'x'\n", "unknown key 'url'"),
                          ("[[source]]\ncamera = 0\n[[source]]\ncamera = 0\n", "two sources are named '0'"),
                          ("title = 'x'\n", "has no [[source]] tables"), ("[[source\n", "is not valid TOML")):
        f.write_text(text)
        with pytest.raises(SourceError, match=re.escape(message)):
            load_sources(f)


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "emotion_monitor.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd or ROOT)


def test_the_command_line_watches_several_videos_into_one_csv_and_stats(scene_video, tmp_path):
    a, b = tmp_path / "lane_a.avi", tmp_path / "lane_b.avi"
    shutil.copy(scene_video, a)
    shutil.copy(scene_video, b)
    out, stats = tmp_path / "store.csv", tmp_path / "stats.json"
    proc = cli("--video", str(a), "--video", str(b), "--record", str(out), "--stats-json", str(stats),
               "--detect-every", "1")
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["source"] for r in rows} == {str(a), str(b)}
    summary = json.loads(stats.read_text())
    assert set(summary["sources"]) == {str(a), str(b)} and all(v["frames"] == 30 for v in summary["sources"].values())
    for name in (a, b):  # each source's closing line: nothing lost, so no count of lost frames
        assert f"{name}: 30 frames; ended\n" in proc.stdout, proc.stdout
    # a sources file instead, with names; mixing it with --video is refused in one line
    (tmp_path / "lanes.toml").write_text('[[source]]\nname = "A"\nvideo = "lane_a.avi"\n'
                                         '[[source]]\nname = "B"\nvideo = "missing.avi"\n')
    proc = cli("--sources", str(tmp_path / "lanes.toml"), "--record", str(out), "--overwrite", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"emotion-monitor: warning: B: video not found: "
                                                f"{tmp_path / 'missing.avi'}; the other sources go on"]
    with open(out, newline="") as fh:
        assert {r["source"] for r in csv.DictReader(fh)} == {"A"}
    proc = cli("--sources", str(tmp_path / "lanes.toml"), "--video", str(a))
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "without --camera" in proc.stderr
