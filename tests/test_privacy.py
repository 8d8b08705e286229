"""Privacy levels (privacy.py) end to end: what the CSV, the stats JSON, the report, the alert line, the
webhook, the metrics and the window keep at each level; blurred images."""

import csv
import json

import numpy as np
import pytest

from emotion_monitor.errors import RecordingError
from emotion_monitor.recording import AGGREGATE_HEADER, HEADER, CsvRecorder
from emotion_monitor.retention import prune_recordings
from emotion_monitor.types import LABELS, Detections, Frame, FrameResult, MoodState, Track

PER_FACE = {"face_id", "x", "y", "w", "h", "emotion", "confidence", "person_flag", "quality", *LABELS}


def rows_of(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("level", ["full", "people", "aggregate"])
def test_each_level_keeps_what_it_says_in_the_csv_the_stats_and_the_report(level, scene_video, tmp_path):
    from emotion_monitor import cli
    from emotion_monitor.report import write_report

    out, stats, report = tmp_path / "s.csv", tmp_path / "s.json", tmp_path / "r.html"
    assert cli.main(["--video", str(scene_video), "--quiet", "--record", str(out), "--stats-json", str(stats),
                     "--privacy", level]) == 0
    rows = rows_of(out)
    summary = json.loads(stats.read_text())
    assert summary["privacy"] == level and summary["frames"] == 30
    if level == "aggregate":
        assert rows[0] == AGGREGATE_HEADER and not PER_FACE & set(rows[0])  # no id, box or per-face column
        body = [dict(zip(rows[0], r)) for r in rows[1:]]
        assert 1 <= len(body) <= 3  # 30 frames at 25 fps: one row a second they touch
        assert len({r["timestamp"] for r in body}) == len(body) and all(r["timestamp"].endswith(".000Z") for r in body)
        assert max(int(r["faces_in_view"]) for r in body) == 1
        assert "people" not in summary and "person" not in stats.read_text()  # no per-person list
    else:
        assert rows[0] == HEADER
        body = [dict(zip(HEADER, r)) for r in rows[1:]]
        assert len(body) >= 25 and len({r["face_id"] for r in body}) == 1
        boxes = [(r["x"], r["y"], r["w"], r["h"]) for r in body]
        if level == "full":
            assert all(all(v.isdigit() for v in b) for b in boxes)
        else:
            assert set(boxes) == {("", "", "", "")}  # where the face was is not kept
        assert [p["person"] for p in summary["people"]] == [int(body[0]["face_id"])]
    write_report(out, report)
    page = report.read_text()
    assert ("Not kept: the session was recorded at privacy level aggregate" in page) == (level == "aggregate")
    assert ("People seen (1)" in page) == (level != "aggregate")


def frame_result(t: float, who=(), alert=False, n=2, reason=None, event=None):
    p = np.eye(7, dtype=np.float32)[5]
    tracks = tuple(Track(4 + k, np.array([10, 10, 40, 40], np.float32) + 50 * k, p, p) for k in range(n))
    mood = MoodState(-0.4, -0.1, n, alert, reason=reason if alert else None, event=event, who=who)
    return FrameResult(Frame(np.zeros((100, 200, 3), np.uint8), int(t * 10), 1_800_000_000.0 + t, source="door"),
                       Detections(), tracks, mood)


def test_aggregate_keeps_one_row_a_second_with_the_most_faces_and_any_alert_of_that_second(tmp_path):
    path = tmp_path / "a.csv"
    with CsvRecorder(path, privacy="aggregate") as rec:
        for k in range(30):  # 3 s at 10 fps; two faces in second 1, the alert on in one frame of second 2
            t = k / 10
            rec.write(frame_result(t, n=2 if 10 <= k < 20 else 1, alert=k == 25, reason="turned", who=(4,)))
    rows = [dict(zip(AGGREGATE_HEADER, r)) for r in rows_of(path)[1:]]
    assert [r["faces_in_view"] for r in rows] == ["1", "2", "1"]
    assert [(r["alert"], r["alert_reason"]) for r in rows] == [("0", ""), ("0", ""), ("1", "turned")]
    assert {r["source"] for r in rows} == {"door"}
    assert {(r["mood"], r["trend"]) for r in rows} == {("", "")}  # one or two faces: below the minimum group (3)
    with CsvRecorder(tmp_path / "b.csv", privacy="aggregate", min_group=1) as rec:
        rec.write(frame_result(0.0, n=1))
    (row,) = [dict(zip(AGGREGATE_HEADER, r)) for r in rows_of(tmp_path / "b.csv")[1:]]
    assert row["mood"] == "-0.4000" and row["trend"] == "-0.1000"
    with pytest.raises(RecordingError, match="another privacy level"):
        CsvRecorder(path, privacy="people")  # one file, one layout
    assert prune_recordings(tmp_path, 1, now=2e9) == [path, tmp_path / "b.csv"]  # aggregate recordings are the app's own too


def test_at_aggregate_no_alert_line_or_webhook_event_names_anyone_and_the_metrics_never_do():
    from dataclasses import replace

    from prometheus_client import generate_latest

    from emotion_monitor.alerts import WebhookSink
    from emotion_monitor.events import event_of
    from emotion_monitor.metrics import MetricsSink
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import PersonMood

    result = frame_result(1.0, who=(4,), alert=True, reason="turned", event="alert")
    # #4 reads unhappy 0.6 now, 0.05 at rest: a person's reading, said only where people are named
    result = replace(result, mood=replace(result.mood, people=(PersonMood(4, "turned", 2.0, None, 1.3, 0.6, 0.05),)))
    named, anonymous = event_of(result, Settings(privacy="people")), event_of(result, Settings(privacy="aggregate"))
    assert named is not None and "#4 turned for 3 s: reads unhappy 60% (5% at rest);" in named.text and named.who == (4,)
    assert anonymous is not None and "#" not in anonymous.text and anonymous.who == () and "%" not in anonymous.text
    assert "someone turned for 3 s: reads well below their own resting face" in anonymous.text
    for level, people in (("full", [4]), ("people", [4]), ("aggregate", [])):
        hook = WebhookSink("http://127.0.0.1:9/hook", attempts=1, privacy=level)
        try:
            event = hook.event(result)
        finally:
            hook.close()
        assert event is not None and event["people"] == people and ("#4" in event["why"]) == bool(people)
        assert ("reads unhappy 60% (5% at rest)" in event["why"]) == bool(people), event["why"]
    metrics = MetricsSink(0, "till", sources=["door"])
    try:
        metrics.write(frame_result(1.0, n=3))
        text = generate_latest(metrics.registry).decode()
    finally:
        metrics.close()
    assert 'emotion_monitor_faces{camera="till",source="door"} 3.0' in text
    assert not any(f'"{i}"' in text for i in (4, 5, 6))  # no series is about a person


def test_the_notice_says_what_each_level_keeps():
    from emotion_monitor.notice import notice_lines

    assert "where the face was" in " ".join(notice_lines("desk", privacy="full"))
    assert "where the face was" not in " ".join(notice_lines("desk", privacy="people"))
    aggregate = " ".join(notice_lines("desk", privacy="aggregate", sends_alerts=True))
    assert "nothing about any one person" in aggregate and "number" not in aggregate
