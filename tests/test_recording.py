import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
import types

import numpy as np
import pytest

from emotion_monitor.errors import RecordingError
from emotion_monitor.recording import HEADER, CsvRecorder
from emotion_monitor.types import Detections, Frame, FrameResult, MoodState, Track


def result(i, n_faces=2):
    tracks = [Track(k + 1, np.array([10 * k, 20, 10 * k + 50, 80], np.float32),
                    np.full(7, 1 / 7, np.float32), np.full(7, 1 / 7, np.float32)) for k in range(n_faces)]
    return FrameResult(Frame(np.zeros((4, 4, 3), np.uint8), i, 1_700_000_000.0 + i / 25), Detections(), tracks,
                       MoodState(-0.25, 0.1, n_faces, False))


def read(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def test_header_rows_and_append_without_a_second_header(tmp_path):
    path = tmp_path / "s.csv"
    with CsvRecorder(path, privacy="full") as rec:
        rec.write(result(0))
        rec.write(result(1))
    with CsvRecorder(path, privacy="full") as rec:
        rec.write(result(2, n_faces=1))
    rows = read(path)
    assert rows[0] == HEADER
    assert sum(r == HEADER for r in rows) == 1
    assert len(rows) == 1 + 2 + 2 + 1
    first = dict(zip(HEADER, rows[1]))
    assert first["timestamp"].endswith("Z") and "." in first["timestamp"]  # ISO 8601 UTC, milliseconds
    assert first["timestamp"] == "2023-11-14T22:13:20.000Z"
    probs = [float(first[k]) for k in HEADER[9:16]]
    assert abs(sum(probs) - 1) < 1e-3
    assert (first["x"], first["y"], first["w"], first["h"]) == ("0", "20", "50", "60")


def test_unwritable_path_is_a_clear_error(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        CsvRecorder(tmp_path / "missing" / "s.csv")
    with pytest.raises(RecordingError):
        CsvRecorder(tmp_path)  # a folder


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_disk_full_raises_one_clear_error():
    with pytest.raises(RecordingError, match="No space left") as err:
        rec = CsvRecorder("/dev/full")  # every write there fails with ENOSPC
        for i in range(10):
            rec.write(result(i))
    assert "\n" not in str(err.value)


def test_disk_full_keeps_earlier_rows(tmp_path, monkeypatch):
    path = tmp_path / "s.csv"
    rec = CsvRecorder(path)
    for i in range(5):
        rec.write(result(i))

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rec._fh, "flush", full)
    with pytest.raises(RecordingError, match="No space left"):
        rec.write(result(5))
    rows = read(path)  # what was written before the disk filled is on disk, whole
    assert rows[0] == HEADER and len(rows) == 1 + 5 * 2
    assert all(len(r) == len(HEADER) for r in rows)
    monkeypatch.undo()
    rec.close()


def test_rows_reach_the_os_every_frame_so_a_killed_writer_leaves_a_parseable_csv(tmp_path):
    """SIGKILL: what was flushed to the OS survives the process (this checks the per-frame flush; a
    power cut is the fsync's business, tested below)."""
    path = tmp_path / "killed.csv"
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(os.getcwd())!r})
        from tests.test_recording import result
        from emotion_monitor.recording import CsvRecorder
        rec = CsvRecorder({str(path)!r})
        i = 0
        while True:
            rec.write(result(i)); i += 1
            print(i, flush=True)
            time.sleep(0.01)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    written = 0
    for line in proc.stdout:
        written = int(line)
        if written >= 50:
            break
    time.sleep(1.1)  # rows older than a second must be on disk
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rows = read(path)
    assert rows[0] == HEADER
    frames = [int(r[1]) for r in rows[1:]]
    assert all(len(r) == len(HEADER) for r in rows)
    assert max(frames) >= written - 1  # every frame reported written before the kill is there


def test_rows_are_fsynced_at_least_once_a_second(tmp_path, monkeypatch):
    from emotion_monitor import recording

    synced = []
    clock = {"t": 1000.0}
    monkeypatch.setattr(recording.os, "fsync", lambda fd: synced.append(clock["t"]))
    monkeypatch.setattr(recording, "time", types.SimpleNamespace(monotonic=lambda: clock["t"]))
    rec = CsvRecorder(tmp_path / "sync.csv", sync_every=1.0)
    for i in range(50):  # 5 s of frames at 10 a second
        clock["t"] += 0.1
        rec.write(result(i))
    assert 4 <= len(synced) <= 6 and all(b - a <= 1.0 + 1e-9 for a, b in zip(synced, synced[1:]))
    rec.close()
    assert len(synced) >= 5  # closing syncs what is left


def test_the_alert_reason_is_recorded_while_the_alert_lasts(tmp_path):
    from dataclasses import replace

    rec = CsvRecorder(tmp_path / "r.csv")
    calm = result(0, 1)
    rec.write(calm)
    rec.write(replace(result(1, 1), mood=MoodState(-0.6, -1.0, 1, True, reason="group")))
    rec.close()
    rows = [dict(zip(HEADER, r)) for r in read(tmp_path / "r.csv")[1:]]
    assert [(r["alert"], r["alert_reason"]) for r in rows] == [("0", ""), ("1", "group")]


def test_the_people_behind_an_alert_and_those_marked_on_arrival_are_named_in_the_csv_the_line_and_the_webhook(tmp_path):
    from emotion_monitor.alerts import WebhookSink
    from emotion_monitor.events import event_of
    from emotion_monitor.people import PeopleLog
    from emotion_monitor.report import summarize
    from emotion_monitor.settings import Settings

    p = np.eye(7, dtype=np.float32)[5]
    tracks = tuple(Track(i, np.array([10 * i, 10, 10 * i + 8, 18], np.float32), p, p) for i in (4, 5, 6))
    mood = MoodState(-0.3, 0.0, 3, True, event="alert", reason="turned", who=(4,), marked=(5,))
    result = FrameResult(Frame(np.zeros((40, 80, 3), np.uint8), 3, 1796067040.0), Detections(), tracks, mood)
    path = tmp_path / "s.csv"
    with CsvRecorder(path) as rec:
        rec.write(result)
    rows = list(csv.DictReader(open(path, newline="")))
    assert [r["person_flag"] for r in rows] == ["alert", "read unhappy when first seen", ""]
    assert summarize(path).faces_seen[("", 5)].flags == {"read unhappy when first seen"}  # the report reads it back
    assert "#4 turned for 3 s: reads well below their own resting face" in event_of(result, Settings()).text
    log = PeopleLog()
    log.update(result)
    people = {d["person"]: d for d in log.summary()}
    assert people[4]["alerts"] == 1 and people[5]["read_unhappy_when_first_seen"] and not people[6]["read_unhappy_when_first_seen"]
    hook = WebhookSink("http://127.0.0.1:9/hook", attempts=1)
    try:
        event = hook.event(result)
    finally:
        hook.close()
    assert event is not None and event["people"] == [4] and event["why"].startswith("#4 turned:")


class _FullDisk(__import__("io").RawIOBase):
    """A file on a disk with ``room`` bytes: past them every write fails with ENOSPC, as on a full tmpfs."""

    def __init__(self, room: int):
        self.room, self.data = room, bytearray()

    def writable(self):
        return True

    def write(self, b):
        if len(self.data) + len(b) > self.room:
            raise OSError(28, "No space left on device")
        self.data += b
        return len(b)

    def fileno(self):
        raise OSError(9, "no descriptor")  # fsync then fails too, as a closed disk would


def test_a_disk_filling_up_gives_one_error_and_closing_raises_none(tmp_path, monkeypatch):
    import io

    from emotion_monitor import recording

    disk = _FullDisk(4000)
    monkeypatch.setattr(recording.privacy_levels, "open_private", lambda *a, **k: io.TextIOWrapper(io.BufferedWriter(disk, 8192),
                                                                            encoding="utf-8", newline=""), raising=False)
    rec = CsvRecorder(tmp_path / "s.csv")
    errors = []
    for i in range(40):
        try:
            rec.write(result(i))
        except RecordingError as exc:
            errors.append(str(exc))
            break
    assert errors and "No space left" in errors[0] and "\n" not in errors[0]
    rec.close()  # raised a second OSError (a traceback) when the buffered rows could not be flushed either
    rows = list(csv.reader(io.StringIO(disk.data.decode())))
    assert rows[0] == HEADER and len(rows) > 2
    whole = [r for r in rows if len(r) == len(HEADER)]
    assert len(whole) >= len(rows) - 1  # every row written before the fault is whole (at most the last cut short)


def test_a_headless_run_onto_a_filling_disk_ends_with_exit_1_one_line_and_its_rows_whole(tmp_path, monkeypatch, capsys):
    import io

    from emotion_monitor import cli, recording

    disk = _FullDisk(30_000)
    monkeypatch.setattr(recording.privacy_levels, "open_private", lambda *a, **k: io.TextIOWrapper(io.BufferedWriter(disk, 8192),
                                                                            encoding="utf-8", newline=""), raising=False)
    rc = cli.main(["--demo", "--record", str(tmp_path / "s.csv"), "--quiet"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip() and "warning" not in line]
    assert rc == 1 and len(err) == 1 and err[0].startswith("emotion-monitor: error: cannot write CSV"), err
    rows = list(csv.reader(io.StringIO(disk.data.decode())))
    assert rows[0] == HEADER and len(rows) > 20 and sum(len(r) != len(HEADER) for r in rows) <= 1


def test_retention_deletes_only_this_apps_recordings_older_than_the_limit(tmp_path):
    from emotion_monitor.retention import prune_recordings

    now = 1_800_000_000.0  # a fake clock
    day = 86400

    def made(name, first_line, age_days):
        path = tmp_path / name
        path.write_text(first_line + "\n1,2,3\n")
        os.utime(path, (now - age_days * day, now - age_days * day))
        return path

    old = made("old.csv", ",".join(HEADER), 10)
    older_version = made("older.csv", ",".join(HEADER[:-2]), 30)  # a recording of an earlier version: ours too
    recent = made("recent.csv", ",".join(HEADER), 2)
    foreign = made("sales.csv", "date,amount", 40)  # a CSV of someone else's
    notes = made("notes.txt", ",".join(HEADER), 40)  # not a CSV
    (tmp_path / "sub").mkdir()
    nested = tmp_path / "sub" / "deep.csv"
    nested.write_text(",".join(HEADER) + "\n")
    os.utime(nested, (now - 40 * day, now - 40 * day))
    removed = prune_recordings(tmp_path, 7, now=now)
    assert sorted(removed) == sorted([old, older_version])
    assert all(p.exists() for p in (recent, foreign, notes, nested)) and not old.exists()
    assert prune_recordings(tmp_path, 7, now=now + 10 * day, keep=recent) == []  # the file being recorded to stays


def test_recordings_and_stats_are_readable_by_their_owner_alone(tmp_path, scene_video):
    from emotion_monitor import cli

    with CsvRecorder(tmp_path / "r.csv") as rec:
        rec.write(result(0))
    assert (tmp_path / "r.csv").stat().st_mode & 0o777 == 0o600
    rc = cli.main(["--video", str(scene_video), "--max-frames", "5", "--quiet", "--record", str(tmp_path / "s.csv"),
                   "--stats-json", str(tmp_path / "s.json"), "--keep-days", "30"])
    assert rc == 0
    (day,) = tmp_path.glob("s-*.csv")  # with --keep-days: a file a UTC day (s-2026-12-06.csv)
    assert day.stat().st_mode & 0o777 == 0o600 and (tmp_path / "s.json").stat().st_mode & 0o777 == 0o600


def test_a_frame_in_which_no_face_counted_records_no_mood_and_the_report_leaves_it_out(tmp_path):
    """0.3 wrote mood 0.0000 on rows whose face the quality gate left out, as if a calm face had been read: the
    report's line dipped to 0 on every such frame."""
    from emotion_monitor.report import summarize

    p = np.eye(7, dtype=np.float32)[5]
    read = (Track(1, np.array([10, 10, 18, 18], np.float32), p, p),)
    gated = (Track(1, np.array([10, 10, 18, 18], np.float32), p, p, quality="occluded"),)
    path = tmp_path / "s.csv"
    with CsvRecorder(path) as rec:
        for i, (tracks, mood) in enumerate([(read, MoodState(-0.8, 0.0, 1, False)), (gated, MoodState(0.0, 0.0, 0, False)),
                                            (read, MoodState(-0.6, 0.0, 1, False))]):
            rec.write(FrameResult(Frame(np.zeros((40, 80, 3), np.uint8), i, 1796067040.0 + i * 0.2), Detections(),
                                  tracks, mood))
    rows = list(csv.DictReader(open(path, newline="")))
    assert [r["mood"] for r in rows] == ["-0.8000", "", "-0.6000"] and [r["quality"] for r in rows][1] == "occluded"
    s = summarize(path)
    assert s.frames == 3 and s.mean_mood == pytest.approx(-0.7) and s.mood[0] == pytest.approx(-0.7)
    assert s.sources[""].mean_mood == pytest.approx(-0.7)


def test_the_report_counts_the_frames_that_had_a_face_and_says_so(tmp_path):
    """A frame with no face writes no row: the report's count is of frames with a face, and it says so (the
    new-user trial read "669 frames" in the report against "672 frames analysed" on the closing line)."""
    from emotion_monitor.report import write_report

    p = np.eye(7, dtype=np.float32)[4]
    face = (Track(1, np.array([10, 10, 18, 18], np.float32), p, p),)
    path = tmp_path / "s.csv"
    with CsvRecorder(path) as rec:
        for i, tracks in enumerate([face, (), face, (), (), face]):
            rec.write(FrameResult(Frame(np.zeros((40, 80, 3), np.uint8), i, 1796067040.0 + i * 0.2), Detections(),
                                  tracks, MoodState(0.0, 0.0, len(tracks), False)))
    write_report(path, tmp_path / "r.html")
    assert "3 face rows in 3 frames with a face (a frame with none writes no row)" in (tmp_path / "r.html").read_text()
