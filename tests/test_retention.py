"""Retention that runs (retention.py): a monitor across a faked day boundary with --keep-days 1 deletes the old
day's recording while it runs, and the other files the monitor wrote, never anyone else's; the window too;
the notice says exactly that."""

import csv
import os
from datetime import datetime, timezone

import numpy as np
import pytest

from emotion_monitor.app import open_sources
from emotion_monitor.capture import Capture
from emotion_monitor.recording import HEADER, CsvRecorder, dated
from emotion_monitor.retention import DAY, EVERY, Retention, prune_folder, recognise
from emotion_monitor.settings import Settings
from emotion_monitor.sources import SourceSpec
from emotion_monitor.types import CaptureOptions, Detections, Frame, FrameResult, MoodState, Outputs

from .conftest import scene
from .doubles import SyntheticSource
from .test_session import Sad

D = datetime(2026, 3, 10, tzinfo=timezone.utc).timestamp()  # day D, 00:00 UTC


def aged(path, when):
    os.utime(path, (when, when))
    return path


def our_files(folder, when):
    """One file of each kind the monitor writes, last written at ``when``, and others' files beside them."""
    from emotion_monitor.people import PEOPLE_COLUMNS

    (folder / "stats.json").write_text('{"frames": 3, "seconds": 1.0, "csv_rows": 2, "privacy": "people"}\n')
    (folder / "people.csv").write_text(",".join(PEOPLE_COLUMNS) + "\n")
    (folder / "report.html").write_text("<html><body><h1>Emotion Monitor session report</h1></body></html>")
    ours = [folder / n for n in ("stats.json", "people.csv", "report.html")]
    (folder / "sales.csv").write_text("date,amount\n")  # someone else's
    (folder / "config.json").write_text('{"frames": 3}\n')  # JSON, not a stats file
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # a picture the app did not write
    return [aged(p, when) for p in ours], [aged(folder / n, when) for n in ("sales.csv", "config.json", "photo.png")]


def test_a_monitor_across_a_day_boundary_deletes_the_old_days_file_while_it_runs(astronaut_bgr, tmp_path):
    old_day = dated(tmp_path / "queue.csv", "2026-03-08")
    old_day.write_text(",".join(HEADER) + "\n")
    ours, others = our_files(tmp_path, D - 3 * DAY)
    # a frame every 30 min of the file's clock from D 23:00 to D+2 03:30: the run crosses two midnights
    src = SyntheticSource(lambda i: scene(astronaut_bgr, i % 40), count=58, fps=1 / 1800, size=(960, 540))
    cap = Capture(lambda: src, "video", "queue", CaptureOptions())
    cap.opened_at = D + 23 * 3600
    now = [cap.opened_at]  # the injected clock: the newest frame's time
    removed = []
    settings = Settings(keep_days=1, privacy="aggregate", detect_every=1)
    runner = open_sources(settings, [SourceSpec("queue", video="synthetic")], Outputs(record=str(tmp_path / "queue.csv")),
                          lambda line: removed.append((now[0], line)), retain=[str(tmp_path / "stats.json")],
                          clock=lambda: now[0], open_capture=lambda spec, warn: cap, classifier=Sad())
    at_start = [line for _, line in removed]
    try:
        for result in runner.results():
            now[0] = result.frame.timestamp
    finally:
        runner.close()
    days = sorted(p.name for p in tmp_path.glob("queue-*.csv"))
    assert days == ["queue-2026-03-11.csv", "queue-2026-03-12.csv"]  # D's file went; D+1's ended < 1 day ago
    assert len(at_start) == 4 and all(p.name in " ".join(at_start) for p in [old_day, *ours])  # at start, before a frame
    (when, line), = [(t, line) for t, line in removed if "queue-2026-03-10.csv" in line]
    assert D + 2 * DAY < when <= D + 2 * DAY + EVERY and when < now[0]  # within the hour after its time, while running
    assert all(p.exists() for p in others) and not any(p.exists() for p in ours)
    with open(dated(tmp_path / "queue.csv", "2026-03-11"), newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert len(rows) == 48 and {r[0][:10] for r in rows} == {"2026-03-11"}  # a day's file holds that day only


def test_the_window_prunes_the_folders_it_records_to(qtbot, astronaut_bgr, tmp_path):
    from PySide6.QtCore import QSettings

    from emotion_monitor.gui.window import MainWindow

    old = dated(tmp_path / "session.csv", "2026-03-01")
    old.write_text(",".join(HEADER) + "\n")
    ours, others = our_files(tmp_path, D - 5 * DAY)
    now = [D + 2 * DAY]
    retention = Retention(0, clock=lambda: now[0])
    win = MainWindow(store=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), classifier=Sad(),
                     settings=Settings(), fleet_sinks=[retention])
    qtbot.addWidget(win)
    win.apply_settings({"keep_days": 1.0})  # the dialog's value reaches the sink (follow)
    src = SyntheticSource(lambda i: scene(astronaut_bgr, i % 40), count=10_000, size=(960, 540))
    assert win._open(lambda: Capture(lambda: src, "video", "synthetic", CaptureOptions(realtime=True)), "synthetic")
    win.pending_record_path = str(tmp_path / "session.csv")
    win.record_button.setChecked(True)
    # the old file pruned and today's being written: on a loaded machine (a fresh clone's CI beside the alert
    # matrix) the pruning came before the recording's first row
    qtbot.waitUntil(lambda: not old.exists() and any(tmp_path.glob("session-*.csv")), timeout=20_000)
    assert not any(p.exists() for p in ours) and all(p.exists() for p in others)
    newest = sorted(tmp_path.glob("session-*.csv"))
    assert len(newest) == 1 and newest[0] != old  # the file being written: today's
    assert win.store.value("retention_folders") in ([str(tmp_path.resolve())], str(tmp_path.resolve()))  # next start
    win.stop()


def test_only_this_apps_files_are_recognised(tmp_path):
    from emotion_monitor.overlay import mark_png
    from emotion_monitor.report import write_report

    ours, others = our_files(tmp_path, D)
    assert [recognise(p) for p in ours] == ["stats", "people", "report"] and [recognise(p) for p in others] == [None] * 3
    import cv2

    ok, png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "snap.png").write_bytes(mark_png(png.tobytes()))
    assert recognise(tmp_path / "snap.png") == "image" and cv2.imread(str(tmp_path / "snap.png")).shape == (8, 8, 3)
    with CsvRecorder(tmp_path / "s.csv") as rec:
        for i in range(3):
            p = np.eye(7, dtype=np.float32)[5]
            from emotion_monitor.types import Track

            rec.write(FrameResult(Frame(np.zeros((9, 9, 3), np.uint8), i, D + i), Detections(),
                                  (Track(1, np.array([1, 1, 5, 5], np.float32), p, p),), MoodState(-0.5, 0.0, 1, False)))
    for suffix in (".png", ".pdf"):
        write_report(tmp_path / "s.csv", tmp_path / f"r{suffix}")
        assert recognise(tmp_path / f"r{suffix}") == "report" if suffix == ".pdf" else "image"
    later = D + 40 * DAY
    for p in tmp_path.iterdir():
        aged(p, D)
    gone = prune_folder(tmp_path, 30, now=later)
    assert sorted(p.name for p in gone) == sorted(["stats.json", "people.csv", "report.html", "snap.png", "s.csv",
                                                   "r.png", "r.pdf"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "photo.png", "sales.csv"]


@pytest.mark.parametrize("days", [1, 30, 0.5])
def test_the_notice_says_what_retention_does(days):
    from emotion_monitor.notice import notice_lines

    lines = notice_lines("desk", keep_days=days)
    unit = "day" if days == 1 else "days"
    assert (f"Recordings (a new file each day) and the other files the monitor writes are deleted {days:g} {unit} "
            "after they were last written, checked every hour.") in lines
    assert EVERY == 3600  # "every hour" is what Retention does
    assert "Recordings are kept until the operator deletes them." in notice_lines("desk", keep_days=0)


def test_the_notice_at_aggregate_says_the_minimum_group():
    from emotion_monitor.notice import notice_lines

    text = " ".join(notice_lines("desk", privacy="aggregate", min_group=5))
    assert "when at least 5 faces are read" in text and "{" not in text
    assert "when at least" not in " ".join(notice_lines("desk", privacy="people"))
