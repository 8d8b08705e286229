"""Queue zones (zones.py): who counts in the queue's mood, how long each waited, and where it is written."""

import csv
import json

import numpy as np
import pytest

from emotion_monitor.errors import SourceError
from emotion_monitor.mood import MoodConfig, MoodMonitor
from emotion_monitor.pipeline import Pipeline, PipelineConfig
from emotion_monitor.settings import Settings
from emotion_monitor.sources import SourceSpec, load_sources
from emotion_monitor.types import LABELS, Detections, Frame
from emotion_monitor.zones import OUTSIDE, QueueClock, parse_zones

LEFT_HALF = "0,0 0.5,0 0.5,1 0,1"


def test_zones_are_read_from_text_and_refused_in_one_line():
    (z,) = parse_zones(LEFT_HALF)
    assert z.name == "queue" and z.points == ((0, 0), (0.5, 0), (0.5, 1), (0, 1))
    a, b = parse_zones("till 1: 0,0 0.5,0 0.5,1; till 2: 0.5,0 1,0 1,1")
    assert (a.name, b.name) == ("till 1", "till 2") and parse_zones(a.text())[0] == a
    assert parse_zones("") == ()
    for bad, why in (("0,0 1,1", "at least 3"), ("0,0 2,0 1,1", "between 0 and 1"), ("a,b c,d e,f", "corners"),
                     ("q: 0,0 1,0 1,1; q: 0,0 1,0 0,1", "repeat")):
        with pytest.raises(ValueError, match=why):
            parse_zones(bad)
    with pytest.raises(ValueError, match="at least 3"):
        Settings(zone="0,0 1,1")  # the settings model checks it like any other setting
    with pytest.raises(SourceError, match="'Lane 1'.*at least 3"):
        SourceSpec("Lane 1", camera=0, zone="0,0 1,1")


def test_a_sources_file_gives_each_source_its_zone(tmp_path):
    path = tmp_path / "lanes.toml"
    path.write_text(f'[[source]]\nname = "a"\ncamera = 0\nzone = "{LEFT_HALF}"\n\n[[source]]\nname = "b"\ncamera = 1\n')
    a, b = load_sources(path)
    assert a.zone == LEFT_HALF and b.zone is None
    path.write_text('[[source]]\nname = "a"\ncamera = 0\nzone = 3\n')
    with pytest.raises(SourceError, match="zone must be text"):
        load_sources(path)


def test_a_stay_survives_a_short_gap_and_ends_after_a_long_one():
    clock = QueueClock(leave_after=2.0)
    for t in np.arange(0, 10.01, 0.5):
        clock.update([(1, "queue")] if not 4 <= t <= 5 else [], t)  # 1.5 s out of the zone: the same stay
    assert clock.waited(1) == pytest.approx(10.0)
    ended = clock.update([], 12.5)
    assert [(tid, s.waited) for tid, s in ended] == [(1, 10.0)] and clock.waited(1) == 0.0
    clock.update([(1, "queue")], 20.0)  # back much later: a new stay
    assert clock.waited(1) == 0.0


class Boxes:
    """A detector double: the boxes of ``plan(frame index)`` (pixels)."""

    name, fresh = "boxes", True

    def __init__(self, plan):
        self.plan, self.i = plan, 0

    def __call__(self, img, hints=None):
        boxes = self.plan(self.i)
        self.i += 1
        return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), 0.9))

    def reset(self):
        pass

    def close(self):
        pass


class ByColumn:
    """A classifier double: a face in the left half of a 400 px frame reads sad, in the right half happy
    (it tells them apart by the crop's brightness: the test paints the halves)."""

    size = 48

    def __call__(self, crops):
        p = np.zeros((len(crops), len(LABELS)), np.float32)
        for i, c in enumerate(crops):
            p[i, LABELS.index("sad" if c.mean() < 128 else "happy")] = 1
        return p


def test_only_faces_in_the_zone_count_and_each_waits_from_its_first_frame_in_it():
    # a queuer stands in the left half from the start; a passer-by walks along the right half; after 5 s, nobody
    def plan(i):
        if i > 50:
            return []  # then everyone has gone
        queuer = [40, 150, 120, 230]
        walker = [220, 10 + 3 * i, 300, 90 + 3 * i]
        return [queuer, walker]

    img = np.zeros((400, 400, 3), np.uint8)
    img[:, 200:] = 255
    pipe = Pipeline(Boxes(plan), ByColumn(), mood=MoodMonitor(MoodConfig(settle=0.0)),
                    config=PipelineConfig(quality=None, zones=parse_zones(LEFT_HALF)))
    results = [pipe.process(Frame(img.copy(), i, 1e9 + i / 10, i / 10)) for i in range(51)]
    last = results[-1]
    queuer, walker = sorted(last.tracks, key=lambda t: t.xyxy[0])
    assert (queuer.zone, queuer.quality, walker.zone, walker.quality) == ("queue", "ok", "", OUTSIDE)
    assert queuer.waited == pytest.approx(5.0) and walker.waited == 0.0
    assert last.mood.faces == 1 and last.mood.score < -0.5  # the sad queuer alone: the happy walker is not counted
    assert [len(r.queue) for r in (results[0], last)] == [1, 1] and last.zones == parse_zones(LEFT_HALF)
    # the queue's figures reach Prometheus: its length, the longest wait, and each finished stay's wait
    from emotion_monitor.metrics import MetricsSink

    sink = MetricsSink(0, "shop")
    try:
        for r in results:
            sink.write(r)
        left = pipe.process(Frame(img.copy(), 51, 1e9 + 5.1, 5.1))  # nobody in view: no one in the queue
        for i in range(52, 120):  # ... for longer than a stay survives: the queuer's wait is counted
            left = pipe.process(Frame(img.copy(), i, 1e9 + i / 10, i / 10))
            sink.write(left)
        labels = {"camera": "shop", "source": ""}
        assert sink.registry.get_sample_value("emotion_monitor_wait_seconds_count", labels) == 1
        # 5 s in view and the frame its track coasted on after its face went
        assert sink.registry.get_sample_value("emotion_monitor_wait_seconds_sum", labels) == pytest.approx(5.1)
    finally:
        sink.close()


def test_the_command_line_records_zone_and_wait_and_writes_the_people_file(scene_video, tmp_path):
    from emotion_monitor.cli import main
    from emotion_monitor.report import write_report

    rows_csv, people_csv, stats = tmp_path / "rows.csv", tmp_path / "people.csv", tmp_path / "stats.json"
    code = main(["--video", str(scene_video), "--zone", "0,0 1,0 1,1 0,1", "--record", str(rows_csv), "--people-csv",
                 str(people_csv), "--stats-json", str(stats), "--quiet"])
    assert code == 0
    rows = list(csv.DictReader(rows_csv.open()))
    assert rows and all(r["zone"] == "queue" for r in rows)
    waits = [float(r["waited_s"]) for r in rows]
    assert waits == sorted(waits) and waits[-1] == pytest.approx(29 / 25, abs=0.05)  # 30 frames at 25 fps
    people = list(csv.DictReader(people_csv.open()))
    assert [(p["person"], p["zone"]) for p in people] == [("1", "queue")]
    assert float(people[0]["waited_s"]) == pytest.approx(waits[-1], abs=0.1)
    assert json.loads(stats.read_text())["people"][0]["waited_s"] == pytest.approx(waits[-1], abs=0.1)
    summary = write_report(rows_csv, tmp_path / "report.html")  # the report's queue section
    assert list(summary.queue.waits.values()) == [pytest.approx(waits[-1])]
    step, points = summary.queue.mood_by_wait()
    assert step == 10 and [p[2] for p in points] == [1]  # one bin of 10 s, standing on one person
    page = (tmp_path / "report.html").read_text()
    assert "<h2>The queue</h2>" in page and page.count("data:image/png;base64,") == 2
    assert main(["--video", str(scene_video), "--people-csv", str(people_csv), "--privacy", "aggregate"]) == 1
    with pytest.raises(SystemExit) as exit_:  # argparse: one line naming the option, exit 2
        main(["--video", str(scene_video), "--zone", "0,0 1,1"])
    assert exit_.value.code == 2


def test_each_source_of_a_run_uses_its_own_zone_or_the_settings(scene_video, tmp_path):
    """A sources file's zone goes to its lane's pipeline; a source without one takes --zone's."""
    import shutil

    from emotion_monitor.runner import Runner

    second = tmp_path / "b.avi"
    shutil.copy(scene_video, second)
    specs = [SourceSpec("a", video=str(scene_video), zone=LEFT_HALF), SourceSpec("b", video=str(second))]
    runner = Runner(Settings(zone="0,0 1,0 1,1 0,1"), specs)
    try:
        zones = {r.frame.source: r.zones for r in runner.results()}
    finally:
        runner.close()
    assert zones == {"a": parse_zones(LEFT_HALF), "b": parse_zones("0,0 1,0 1,1 0,1")}
