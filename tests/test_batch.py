"""emotion-monitor batch: a folder of clips locally and under a local Ray runtime."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from emotion_monitor.batch import run_batch
from emotion_monitor.settings import Settings

from .conftest import scene


@pytest.fixture(scope="module")
def archive(tmp_path_factory, astronaut_bgr):
    root = tmp_path_factory.mktemp("archive")
    (root / "queue-2").mkdir()
    for name, n, step in (("a.avi", 40, 4), ("queue-2/b.avi", 30, 6), ("c.avi", 25, 3)):
        wr = cv2.VideoWriter(str(root / name), cv2.VideoWriter_fourcc(*"MJPG"), 25, (960, 540))
        for i in range(n):
            wr.write(scene(astronaut_bgr, i, step=step))
        wr.release()
    (root / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x17" * 4000)
    (root / "notes.txt").write_text("not a video")
    return root


def rows_of(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return [{k: v for k, v in r.items() if k != "timestamp"} for r in csv.DictReader(fh)]


def video_rows(video: Path, tmp: Path) -> list[dict]:
    out = tmp / (video.stem + ".video.csv")
    out.unlink(missing_ok=True)  # --record appends
    subprocess.run([sys.executable, "-m", "emotion_monitor.cli", "--video", str(video), "--record", str(out),
                    "--quiet"], check=True)
    return rows_of(out)


def check_outputs(archive, out, tmp):
    summary = json.loads((out / "summary.json").read_text())
    assert summary["files"] == 4 and summary["done"] == 3
    assert [f["file"] for f in summary["failed"]] == ["corrupt.mp4"] and summary["failed"][0]["error"]
    for name in ("a", "queue-2/b", "c"):
        csv_path = out / f"{name}.csv"
        assert (out / f"{name}.stats.json").exists() and (out / f"{name}.report.html").exists()
        assert rows_of(csv_path) == video_rows(archive / f"{name}.avi", tmp), name  # as --video writes them
    assert not (out / "corrupt.csv").exists()
    with open(out / "summary.csv") as fh:
        table = {r["file"]: r for r in csv.DictReader(fh)}
    assert table["corrupt.mp4"]["status"] == "failed" and table["a.avi"]["frames"] == "40"
    return summary


@pytest.mark.slow
def test_batch_locally_matches_video_reports_the_corrupt_file_and_resumes(archive, tmp_path):
    out = tmp_path / "out"
    s1 = run_batch(str(archive), str(out), Settings(), jobs=1, progress=False)
    check_outputs(archive, out, tmp_path)
    assert s1["throughput"] > 0
    # a rerun skips the finished files and tries the failed one again
    s2 = run_batch(str(archive), str(out), Settings(), jobs=1, progress=False)
    assert s2["skipped"] == 3 and s2["done"] == 0 and len(s2["failed"]) == 1
    # a partial output (no .done.json) is redone, not kept
    (out / "c.done.json").unlink()
    (out / "c.csv").write_text("timestamp,frame\nhalf a file")
    s3 = run_batch(str(archive), str(out), Settings(), jobs=1, progress=False)
    assert s3["done"] == 1 and [r["file"] for r in s3["rows"] if r["status"] == "done"] == ["c.avi"]
    assert rows_of(out / "c.csv") == video_rows(archive / "c.avi", tmp_path)
    # a changed input is analysed again
    shutil.copy(archive / "a.avi", tmp_path / "a-copy.avi")
    (archive / "a.avi").write_bytes((tmp_path / "a-copy.avi").read_bytes())  # same bytes, new mtime
    s4 = run_batch(str(archive), str(out), Settings(), jobs=1, progress=False)
    assert [r["file"] for r in s4["rows"] if r["status"] == "done"] == ["a.avi"]


@pytest.mark.slow
def test_batch_with_two_jobs_gives_the_same_files(archive, tmp_path):
    out = tmp_path / "out2"
    s = run_batch(str(archive), str(out), Settings(), jobs=2, progress=False)
    assert s["jobs"] == 2
    check_outputs(archive, out, tmp_path)


@pytest.mark.slow
def test_batch_on_a_local_ray_runtime(archive, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        out = tmp_path / "out-ray"
        s = run_batch(str(archive), str(out), Settings(), ray_address="local", progress=False)
        assert s["ray"] == "local"
        check_outputs(archive, out, tmp_path)
    finally:
        ray.shutdown()


def test_sampling_analyses_fewer_frames_on_the_videos_clock(archive, tmp_path):
    out = tmp_path / "out-sampled"
    s = run_batch(str(archive), str(out), Settings(), sample_fps=5, progress=False)
    row = next(r for r in s["rows"] if r["file"] == "a.avi")
    assert row["frames"] == 8  # 40 frames at 25 fps, one in five
    frames = sorted({int(r["frame"]) for r in rows_of(out / "a.csv")})
    assert frames and all(f % 5 == 0 for f in frames)


def test_batch_cli_bad_folder_is_one_line(tmp_path, capsys):
    from emotion_monitor.cli import main

    assert main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"emotion-monitor: error: input folder not found: {tmp_path / 'nope'}"


@pytest.mark.slow
def test_batch_cli_exits_1_when_a_file_failed_and_prints_plain_lines_on_a_pipe(archive, tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "emotion_monitor.cli", "batch", str(archive), "--out",
                           str(tmp_path / "out")], cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1  # the corrupt file failed: a script must see it
    assert "failed: " in proc.stdout
    assert "\x1b[" not in proc.stderr and "\r" not in proc.stderr  # no bars redrawn on a pipe
    n = 4  # three videos and the corrupt one; notes.txt is no video
    assert [line for line in proc.stderr.splitlines() if line.startswith("files ")][-1] == f"files {n}/{n}"
