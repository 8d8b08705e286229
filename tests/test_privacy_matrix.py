"""The privacy matrix (#50, 8): for each level x each output, what may and may not appear, read back from what
was written or sent: the CSV, the people CSV, the stats JSON, the report (HTML, PNG, PDF), a snapshot, the
webhook's bodies, the metrics, the log lines and the window's people panel. One face is in view, so at
"aggregate" no mood may appear anywhere (it would be one person's: the minimum group is 3)."""

import csv
import json
import re

import cv2
import numpy as np
import pytest

from emotion_monitor.privacy import LEVELS
from emotion_monitor.recording import AGGREGATE_HEADER, HEADER

from .test_levels import two_faces
from .test_webhook import Scripted

PER_FACE = {"face_id", "x", "y", "w", "h", "emotion", "confidence", "person_flag", *HEADER[9:16]}
ALERTING = ["--threshold", "1", "--duration", "0", "--settle", "0.5", "--cooldown", "0"]  # a fall always below +1


def pdf_pages(path):
    return len(re.findall(rb"/Type\s*/Page[^s]", path.read_bytes()))


@pytest.fixture(scope="module")
def runs(scene_video, tmp_path_factory):
    """One headless monitor a level, every output on, its files, webhook bodies, metrics and lines kept."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from prometheus_client import generate_latest

    from emotion_monitor import cli
    from emotion_monitor.metrics import MetricsSink
    from emotion_monitor.report import write_report

    out = {}
    real_close = MetricsSink.close
    for level in LEVELS:
        folder = tmp_path_factory.mktemp(level)
        rx = Scripted([])
        (folder / "hook.url").write_text(rx.url + "\n")
        scraped = []

        def close(sink, scraped=scraped):  # what the endpoint serves, read as the run ends
            scraped.append(generate_latest(sink.registry).decode())
            real_close(sink)

        MetricsSink.close = close
        stdout, stderr = io.StringIO(), io.StringIO()
        argv = ["--video", str(scene_video), "--loop", "--max-frames", "75", "--privacy", level, *ALERTING,
                "--record", str(folder / "s.csv"), "--stats-json", str(folder / "s.json"), "--metrics-port", "0",
                "--alert-webhook-file", str(folder / "hook.url")]
        if level != "aggregate":
            argv += ["--people-csv", str(folder / "p.csv")]
        try:
            with redirect_stdout(stdout), redirect_stderr(stderr):
                rc = cli.main(argv)
        finally:
            MetricsSink.close = real_close
            rx.close()
        assert rc == 0, stderr.getvalue()
        for suffix in (".html", ".png", ".pdf"):
            write_report(folder / "s.csv", folder / f"r{suffix}")
        with open(folder / "s.csv", newline="") as fh:
            rows = list(csv.reader(fh))
        out[level] = {"folder": folder, "header": rows[0], "rows": [dict(zip(rows[0], r)) for r in rows[1:]],
                      "bodies": rx.bodies, "metrics": scraped[0],
                      "lines": stdout.getvalue().splitlines() + stderr.getvalue().splitlines()}
    return out


def ids_of(run):
    return {r["face_id"] for r in run["rows"]} if "face_id" in run["header"] else set()


@pytest.mark.parametrize("level", LEVELS)
def test_the_csv_and_the_people_csv(runs, level):
    run = runs[level]
    if level == "aggregate":
        assert run["header"] == AGGREGATE_HEADER and not PER_FACE & set(run["header"])  # no id, box or reading
        assert run["rows"] and {r["mood"] for r in run["rows"]} == {""} and {r["trend"] for r in run["rows"]} == {""}
        assert any(r["alert"] == "1" for r in run["rows"])  # the alert is kept: counts and alerts only
        assert not (run["folder"] / "p.csv").exists()
        return
    assert run["header"] == HEADER and len(ids_of(run)) >= 1 and all(r["emotion"] for r in run["rows"])
    boxes = {(r["x"], r["y"], r["w"], r["h"]) for r in run["rows"]}
    assert all(all(v.isdigit() for v in b) for b in boxes) if level == "full" else boxes == {("", "", "", "")}
    with open(run["folder"] / "p.csv", newline="") as fh:
        people = list(csv.DictReader(fh))
    assert {p["person"] for p in people} == ids_of(run)


def test_the_people_csv_is_refused_at_aggregate(scene_video, tmp_path, capsys):
    from emotion_monitor import cli

    rc = cli.main(["--video", str(scene_video), "--privacy", "aggregate", "--people-csv", str(tmp_path / "p.csv")])
    assert rc == 1 and "keeps none" in capsys.readouterr().err and not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("level", LEVELS)
def test_the_stats_and_the_reports(runs, level):
    run, folder = runs[level], runs[level]["folder"]
    stats = json.loads((folder / "s.json").read_text())
    html = (folder / "r.html").read_text()
    if level == "aggregate":
        assert "people" not in stats and "person" not in json.dumps(stats)
        assert "People seen" not in html and not re.search(r"#\d", html) and "no mood kept" in html
    else:
        assert [str(p["person"]) for p in stats["people"]] == sorted(ids_of(run), key=int)
        assert "People seen" in html and all(f"#{i}" in html for i in ids_of(run))
    # the PDF and the PNG: the people table is a page of its own, missing at aggregate; the alerts' table is one
    # where there were alerts (their why names nobody at aggregate)
    alerts = int("<h2>Alerts (" in html)
    assert pdf_pages(folder / "r.pdf") == (1 if level == "aggregate" else 2) + alerts
    heights = {lv: cv2.imread(str(runs[lv]["folder"] / "r.png")).shape[0] for lv in LEVELS}
    assert heights["aggregate"] < heights["people"] == heights["full"]


@pytest.mark.parametrize("level", LEVELS)
def test_the_webhook_the_metrics_and_the_lines(runs, level):
    run = runs[level]
    alerts = [b for b in run["bodies"] if b["event"] == "alert"]
    assert alerts and all(b["faces"] == 1 for b in alerts)
    lines = [line for line in run["lines"] if line.startswith(("ALERT", "CLEAR", "frame"))]
    assert any(line.startswith("ALERT") for line in lines)
    mood = next(x for x in run["metrics"].splitlines() if x.startswith("emotion_monitor_group_mood{"))
    assert not re.search(r'(person|face_id|track)="', run["metrics"])  # no series is about a person, at any level
    if level == "aggregate":
        assert all(b["people"] == [] and "#" not in (b["why"] or "") and b["mood"] is None for b in alerts)
        assert mood.endswith("NaN") and not any(re.search(r"#\d|mood [+-]\d", line) for line in lines)
        assert any("mood not shown" in line for line in lines)
    else:
        assert all(isinstance(b["mood"], float) for b in alerts) and not mood.endswith("NaN")
        assert {str(i) for b in alerts for i in b["people"]} <= ids_of(run)
        assert any(re.search(r"mood [+-]\d", line) for line in lines)


@pytest.mark.parametrize("level", LEVELS)
def test_a_snapshot(astronaut_bgr, tmp_path, level):
    from emotion_monitor.overlay import picture, save_snapshot
    from emotion_monitor.settings import Settings

    result = two_faces(astronaut_bgr)  # two faces counted: below the minimum group
    path = str(tmp_path / "snap.png")
    assert save_snapshot(path, result, 4, Settings(privacy=level, blur_snapshots=level != "aggregate"))
    saved, blurred = cv2.imread(path), picture(result, True)
    edge = (slice(250, 300), slice(99, 102))  # the first face's box's left edge
    assert (np.abs(saved[edge].astype(int) - blurred[edge]).max() > 50) == (level == "full")  # a box: full only
    assert np.array_equal(saved[60:], blurred[60:]) == (level == "aggregate")  # aggregate: no label or id drawn


@pytest.mark.parametrize("level", LEVELS)
def test_the_windows_people_panel(qtbot, astronaut_bgr, level):
    from emotion_monitor.gui.window import MainWindow
    from emotion_monitor.settings import Settings

    from .test_gui import _OneResult

    result = two_faces(astronaut_bgr)
    win = MainWindow(settings=Settings(privacy=level))
    qtbot.addWidget(win)
    win.worker = _OneResult(result, result.frame.image[:, :, ::-1].copy())
    try:
        win._show_latest()
        thumbs = [win.people.item(i).icon().pixmap(64, 64).toImage() for i in range(win.people.count())]
    finally:
        win.worker = None
    colours = [len({t.pixel(x, y) for x in range(0, 64, 8) for y in range(0, 64, 8)}) for t in thumbs]
    # #4 (behind the alert, listed first) is the astronaut's face: its thumbnail, or at aggregate a grey square
    assert len(thumbs) == 2 and (colours[0] == 1) == (level == "aggregate") and (level != "aggregate" or colours == [1, 1])


@pytest.mark.parametrize("level", LEVELS)
def test_an_alert_about_a_person_names_them_only_below_aggregate(astronaut_bgr, level):
    """The run above raises the group's alert (nobody named at any level); an alert one person raised names
    them in the webhook's body and the alert line, except at aggregate."""
    from dataclasses import replace

    from emotion_monitor.alerts import WebhookSink
    from emotion_monitor.events import event_of, follow
    from emotion_monitor.settings import Settings

    result = two_faces(astronaut_bgr, faces_counted=3)
    result = replace(result, mood=replace(result.mood, event="alert"))
    settings = Settings(privacy=level)
    hook = WebhookSink("http://127.0.0.1:9/hook", attempts=1)
    try:
        follow([hook], settings)
        body = hook.event(result)
    finally:
        hook.close()
    line = event_of(result, settings)
    assert body is not None and line is not None
    named = level != "aggregate"
    assert (body["people"] == [4]) == named and ("#4" in body["why"]) == named and ("#4" in line.text) == named
    assert body["mood"] == -0.6 and "mood -0.60" in line.text  # three faces counted: the group's mood is kept
