"""One privacy level, kept everywhere (#50, 3 4 5 7): sinks follow the run's settings, snapshots obey the level,
the minimum group at "aggregate", and batch's figures at every level."""

import csv
import json
import os
import stat
from dataclasses import replace

import cv2
import numpy as np
import pytest

from emotion_monitor.errors import RecordingError
from emotion_monitor.recording import AGGREGATE_HEADER, HEADER, CsvRecorder
from emotion_monitor.settings import Settings
from emotion_monitor.types import LABELS, Detections, Frame, FrameResult, MoodState, Track

from .conftest import scene


def rows_of(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


# ---- 3: one level, one place ----------------------------------------------------------------------
def test_a_recorder_without_a_level_of_its_own_follows_the_monitors(scene_video, tmp_path):
    from emotion_monitor import Monitor

    with Monitor(str(scene_video), settings=Settings(privacy="aggregate"), sinks=[CsvRecorder(tmp_path / "a.csv")]) as m:
        frames = sum(1 for _ in m)
    rows = rows_of(tmp_path / "a.csv")
    assert frames == 30 and rows[0] == AGGREGATE_HEADER and 1 <= len(rows) - 1 <= 3  # a row a second, no face
    with Monitor(str(scene_video), settings=Settings(privacy="full"), sinks=[CsvRecorder(tmp_path / "f.csv")]) as m:
        sum(1 for _ in m)
    rows = [dict(zip(HEADER, r)) for r in rows_of(tmp_path / "f.csv")[1:]]
    assert len(rows) >= 25 and all(r["x"].isdigit() for r in rows)  # full: the boxes kept, as the run says


def test_a_recorder_looser_than_the_run_is_refused_in_one_line_and_a_stricter_one_kept(scene_video, tmp_path):
    from emotion_monitor import Monitor

    with pytest.raises(RecordingError) as err:
        Monitor(str(scene_video), settings=Settings(privacy="aggregate"),
                sinks=[CsvRecorder(tmp_path / "p.csv", privacy="people")])
    assert "would keep more than this run's aggregate" in str(err.value) and "\n" not in str(err.value)
    assert rows_of(tmp_path / "p.csv")[1:] == []  # no row was written
    with Monitor(str(scene_video), settings=Settings(privacy="people"),
                 sinks=[CsvRecorder(tmp_path / "s.csv", privacy="aggregate")]) as m:
        sum(1 for _ in m)
    assert rows_of(tmp_path / "s.csv")[0] == AGGREGATE_HEADER


def test_a_recording_started_at_one_level_is_dropped_when_the_run_changes_level(tmp_path):
    from emotion_monitor.events import follow

    rec = CsvRecorder(tmp_path / "r.csv")
    dropped = []
    follow([rec], Settings(privacy="people"))
    follow([rec], Settings(privacy="aggregate"), lambda sink, msg: dropped.append(msg))
    assert len(dropped) == 1 and "record again to a new file" in dropped[0]
    rec.close()


# ---- 4 and 5: snapshots by level, the minimum group ---------------------------------------------------------
def two_faces(astronaut_bgr, faces_counted=2):
    image = scene(astronaut_bgr, 0)
    p = np.eye(7, dtype=np.float32)[LABELS.index("sad")]
    tracks = (Track(4, np.array([100, 150, 300, 390], np.float32), p, p),
              Track(7, np.array([600, 150, 800, 390], np.float32), p, p))
    return FrameResult(Frame(image, 0, 1.8e9), Detections(), tracks,
                       MoodState(-0.6, 0.0, faces_counted, True, reason="turned", who=(4,)))


def test_snapshots_keep_what_the_level_keeps(astronaut_bgr):
    from emotion_monitor.overlay import picture, snapshot_image

    result = two_faces(astronaut_bgr)
    blurred = picture(result, True)
    full = snapshot_image(result, 4, True, "full")
    people = snapshot_image(result, 4, True, "people")
    aggregate = snapshot_image(result, 4, False, "aggregate", min_group=3)  # the blur cannot be turned off there

    def edge(img):  # the left edge of the first face's box, away from its label
        return img[250:300, 99:102].astype(int)

    assert np.abs(edge(full) - edge(blurred)).max() > 50  # full: its box drawn
    assert np.array_equal(edge(people), edge(blurred))  # people: no box
    assert not np.array_equal(people, blurred)  # ... but its labels
    assert np.array_equal(aggregate[60:], blurred[60:])  # aggregate: no box, label or id, the line at the top alone
    three = snapshot_image(two_faces(astronaut_bgr, faces_counted=3), 4, False, "aggregate", min_group=3)
    assert np.array_equal(three[60:], blurred[60:])
    # the line: with two faces counted it holds no mood ("faces 2  mood not shown  ALERT"), with three it does
    from emotion_monitor.overlay import draw

    expected = draw(blurred, replace(result, tracks=()), show_mood=False)
    assert np.array_equal(aggregate, expected) and not np.array_equal(three[:60], aggregate[:60])


def test_no_blur_snapshots_is_refused_at_aggregate_in_one_line(tmp_path, capsys):
    from emotion_monitor import cli

    rc = cli.main(["--video", str(tmp_path / "x.avi"), "--privacy", "aggregate", "--no-blur-snapshots"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--no-blur-snapshots is refused at --privacy aggregate" in err[0]


@pytest.mark.parametrize("level,faces,kept", [("aggregate", 2, False), ("aggregate", 3, True), ("people", 1, True),
                                              ("full", 1, True)])
def test_the_minimum_group_in_the_metrics_and_the_webhook(level, faces, kept):
    from prometheus_client import generate_latest

    from emotion_monitor.alerts import WebhookSink
    from emotion_monitor.events import follow
    from emotion_monitor.metrics import MetricsSink

    result = FrameResult(Frame(np.zeros((9, 9, 3), np.uint8), 1, 1.8e9, source="door"), Detections(), (),
                         MoodState(-0.6, 0.0, faces, True, reason="group", event="alert"))
    metrics, hook = MetricsSink(0, "till"), WebhookSink("http://127.0.0.1:9/hook", attempts=1)
    try:
        follow([metrics, hook], Settings(privacy=level))
        metrics.write(result)
        text = generate_latest(metrics.registry).decode()
        event = hook.event(result)
    finally:
        metrics.close()
        hook.close()
    line = next(x for x in text.splitlines() if x.startswith('emotion_monitor_group_mood{camera="till"'))
    assert (line.endswith("-0.6") == kept) and (line.endswith("NaN") != kept)
    assert event is not None and event["mood"] == (-0.6 if kept else None) and event["faces"] == faces


# ---- 7: batch at every level --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_clip(tmp_path_factory, astronaut_bgr):
    root = tmp_path_factory.mktemp("clips")
    wr = cv2.VideoWriter(str(root / "q.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, (640, 360))
    for i in range(100):  # 4 s
        wr.write(cv2.resize(scene(astronaut_bgr, i % 50, step=4), (640, 360)))
    wr.release()
    return root


def test_batchs_figures_are_the_same_at_every_level_and_its_files_owner_only(one_clip, tmp_path):
    from emotion_monitor.batch import run_batch

    # a mood always "below" +1: the alert is on from the first counted second, so alert time is most of the clip
    alerting = dict(threshold=1.0, duration=0.0, settle=0.5, hysteresis=0.0)  # a fall always "below" +1
    rows, stats = {}, {}
    for level in ("full", "people", "aggregate"):
        out = tmp_path / level
        summary = run_batch(str(one_clip), str(out), Settings(privacy=level, **alerting), progress=False)
        (rows[level],) = summary["rows"]
        stats[level] = json.loads((out / "q.stats.json").read_text())
        written = [p for p in out.iterdir()]
        assert {p.name for p in written} >= {"q.csv", "q.stats.json", "q.report.html", "q.done.json", "summary.csv",
                                             "summary.json"}
        assert {p.name: oct(stat.S_IMODE(os.stat(p).st_mode)) for p in written} == {p.name: "0o600" for p in written}
    full, people, aggregate = rows["full"], rows["people"], rows["aggregate"]
    assert full["alert_seconds"] == people["alert_seconds"] and full["alert_seconds"] >= 3.0
    # aggregate counts whole seconds the alert touched, the others frames / fps: within a second of each other
    assert abs(aggregate["alert_seconds"] - full["alert_seconds"]) <= 1.0, (aggregate, full)
    assert full["video_seconds"] == aggregate["video_seconds"] == 4.0
    assert isinstance(full["mean_mood"], float) and aggregate["mean_mood"] == ""  # one face: below the minimum group
    assert aggregate["negative_rows"] == "" and isinstance(full["negative_rows"], float)
    assert "people" in stats["full"] and "people" in stats["people"] and "people" not in stats["aggregate"]
    report = (tmp_path / "aggregate" / "q.report.html").read_text()
    assert "no mood kept" in report and "People seen" not in report


def test_batch_refuses_keep_days_it_keeps_its_outputs(tmp_path, capsys):
    from emotion_monitor.commands import batch_main

    with pytest.raises(SystemExit) as exit_:
        batch_main([str(tmp_path), "--out", str(tmp_path / "out"), "--keep-days", "3"])
    assert exit_.value.code == 2 and "--keep-days is the monitor's" in capsys.readouterr().err


def test_the_status_lines_hide_the_mood_of_fewer_than_the_minimum_group():
    from emotion_monitor.lane import Lane, status_line
    from emotion_monitor.sources import SourceSpec

    lines = {}
    for level in ("people", "aggregate"):
        lane = Lane(SourceSpec("door", video="x.avi"), Settings(privacy=level))
        lane.state = "running"
        lane.last = FrameResult(Frame(np.zeros((9, 9, 3), np.uint8), 3, 1.8e9, source="door"), Detections(), (),
                                MoodState(-0.42, 0.0, 2, False))
        lines[level] = (lane.status_line(), status_line([lane]))
    assert all("-0.42" in line for line in lines["people"])
    assert not any("-0.42" in line for line in lines["aggregate"]) and "mood not shown" in lines["aggregate"][1]


@pytest.mark.parametrize("level", ["full", "people", "aggregate"])
def test_a_status_line_with_nobody_counted_shows_no_mood_of_zero(level):
    """A helper read "faces 0 mood +0.00" while nobody was in view: a mood of 0 is a reading of calm faces."""
    from emotion_monitor.lane import Lane
    from emotion_monitor.sources import SourceSpec

    lane = Lane(SourceSpec("door", video="x.avi"), Settings(privacy=level))
    lane.state = "running"
    for faces, score in ((0, 0.0), (3, 0.0)):
        lane.last = FrameResult(Frame(np.zeros((9, 9, 3), np.uint8), 3, 1.8e9, source="door"), Detections(), (),
                                MoodState(score, 0.0, faces, False))
        line = lane.status_line()
        assert ("no face counted" in line) == (faces == 0) and ("+0.00" in line) == (faces > 0), line
        assert f"faces  0 ({faces} counted)" in line  # faces in view (none in this result), then those counted
