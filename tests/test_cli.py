import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emotion_monitor.cli import done_line, lost_frames
from emotion_monitor.recording import HEADER

ROOT = Path(__file__).resolve().parent.parent


def run(*args, timeout=120):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "emotion_monitor.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def one_error_line(proc):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("emotion-monitor: error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_video_end_to_end(scene_video, tmp_path):
    out, stats = tmp_path / "out.csv", tmp_path / "s.json"
    proc = run("--video", str(scene_video), "--record", str(out), "--stats-json", str(stats), "--privacy", "full")
    assert proc.returncode == 0, proc.stderr
    assert "done: 30 frames" in proc.stdout
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADER
    body = [dict(zip(HEADER, r)) for r in rows[1:]]
    assert len(body) >= 25  # one moving face, reported from its second frame at the latest
    assert len({r["face_id"] for r in body}) == 1  # one id all along
    for r in body:
        assert abs(sum(float(r[k]) for k in HEADER[9:16]) - 1) < 1e-3
    xs = [int(r["x"]) for r in body]
    assert xs[-1] > xs[0] + 100  # the box follows the face to the right
    s = json.loads(stats.read_text())
    assert s["frames"] == 30 and s["mean_faces"] > 0.8
    assert {"detect", "classify", "total"} <= set(s["stages"]) and s["stages"]["total"]["p95_ms"] > 0
    (person,) = s["people"]  # the one face, as one person
    assert person["person"] == int(body[0]["face_id"]) and person["frames"] == len(body)
    assert person["first_seen"] == body[0]["timestamp"] and person["last_seen"] == body[-1]["timestamp"]
    assert person["dwell_s"] == pytest.approx((len(body) - 1) / 25, abs=0.05)
    assert -1 <= person["mean_mood"] <= 1 and 0 <= person["negative_share"] <= 1
    assert done_line(s) in proc.stdout and "dropped" not in done_line(s)  # nothing lost, nothing said



def test_recording_again_to_a_file_says_it_appends_and_overwrite_starts_afresh(scene_video, tmp_path):
    """A second session recorded to the same file (ids numbered from 1 again) is appended, keeping the first,
    and said in one warning line; --overwrite keeps only the new one and says nothing."""
    out = tmp_path / "x.csv"

    def session(*extra):
        proc = run("--video", str(scene_video), "--record", str(out), "--quiet", *extra)
        assert proc.returncode == 0, proc.stderr
        with open(out, newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == HEADER and HEADER not in rows[1:]
        return [line for line in proc.stderr.splitlines() if "holds an earlier recording" in line], len(rows) - 1

    said, first = session()
    assert said == [] and first > 0
    said, both = session()
    assert said == [f"emotion-monitor: warning: {out} holds an earlier recording: this one is appended to it "
                    "(--overwrite starts the file afresh)"]
    assert both == 2 * first  # the first session's rows are all still there
    said, again = session("--overwrite")
    assert said == [] and again == first

def test_the_closing_line_counts_the_frames_lost_to_the_clock():
    # the status line shows the clip's frame number (181); the closing line must say why it counted fewer
    summary = {"frames": 173, "seconds": 8.0, "fps": 21.6, "mean_faces": 0.4, "dropped_frames": 8, "skipped_frames": 0}
    line = done_line(summary)
    assert line == "done: 173 frames in 8.0 s (21.6 fps), 0.4 faces found a frame on average; 8 frames dropped to keep up"
    assert "7.0 faces found a frame on average" in done_line({**summary, "mean_faces": 7.008})  # not 7.008
    assert "unreadable" not in line
    assert done_line({**summary, "dropped_frames": 0, "skipped_frames": 1}).endswith("; 1 frame skipped as unreadable")
    # several sources: each source's line counts both, as the one-source line does
    assert lost_frames({**summary, "skipped_frames": 1}) == "8 frames dropped to keep up, 1 frame skipped as unreadable"
    assert lost_frames({**summary, "dropped_frames": 0}) == ""


def test_no_camera_exits_1_fast_with_one_line():
    t = time.monotonic()
    proc = run("--camera", "7")
    assert time.monotonic() - t < 5 + 3  # interpreter start included
    assert proc.returncode == 1
    assert "no camera at index 7" in one_error_line(proc)


def test_missing_video(tmp_path):
    proc = run("--video", str(tmp_path / "missing.mp4"))
    assert proc.returncode == 1 and "video not found" in one_error_line(proc)


def test_broken_video(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(os.urandom(50_000))
    proc = run("--video", str(bad))
    assert proc.returncode == 1 and "cannot open video" in one_error_line(proc)


def test_truncated_video_processes_what_is_there(scene_video, tmp_path):
    cut = tmp_path / "cut.avi"
    data = scene_video.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    proc = run("--video", str(cut), "--stats-json", str(tmp_path / "s.json"))
    assert proc.returncode == 0, proc.stderr
    frames = json.loads((tmp_path / "s.json").read_text())["frames"]
    assert 5 <= frames < 30


def test_corrupt_model(scene_video, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"\x00" * 1000)
    (tmp_path / "m.json").write_text((ROOT / "models" / "emotion.json").read_text())
    proc = run("--video", str(scene_video), "--model", str(model))
    assert proc.returncode == 1 and "cannot load emotion model" in one_error_line(proc)


def test_unwritable_csv(scene_video, tmp_path):
    proc = run("--video", str(scene_video), "--record", str(tmp_path / "no" / "dir" / "x.csv"))
    assert proc.returncode == 1 and "cannot write CSV" in one_error_line(proc)


@pytest.mark.parametrize("args", [["--bogus"], ["--camera", "x"],
                                  ["--threshold", "5"], ["--tiles", "9x9"], ["--max-frames", "-3"], ["--max-frames", "0"],
                                  ["--window", "nan?"], ["--video"], ["--detector", "yolo"], ["--keep-days", "-1"],
                                  ["--keep-days", "nan"], ["--metrics-port", "99999"], ["--drop", "0.3"]])
def test_bad_arguments_exit_2_with_one_line(args, capsys):
    """In process: the parser's own exit (a process each added a second of start-up and nothing else); the
    command itself exits the same way (test_the_command_exits_2_with_one_line_on_a_bad_argument)."""
    from emotion_monitor.cli import build_parser

    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(args)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and ONE_LINE.fullmatch(err), err


# what argparse refuses: one line, what was wrong and where to look (not the five lines of usage above it)
ONE_LINE = re.compile(r"emotion-monitor: error: [^\n]+ \(see emotion-monitor --help\)\n")


def test_the_command_exits_2_with_one_line_on_a_bad_argument():
    proc = run("--threshold", "5")
    assert proc.returncode == 2 and ONE_LINE.fullmatch(proc.stderr), proc.stderr
    assert "--threshold" in proc.stderr


def test_ctrl_c_closes_the_csv(scene_video, tmp_path):
    out = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "emotion_monitor.cli", "--video", str(scene_video), "--realtime",
                             "--record", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 400):
        time.sleep(0.05)
    proc.send_signal(2)  # SIGINT, as Ctrl+C
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    # the stop counts what happened, as the window's closing line does, and agrees with the done line
    stop = re.search(r"^stopped: (\d+) frames analysed of (\d+) read(?:, (\d+) dropped to keep up)?", stdout, re.M)
    done = re.search(r"^done: (\d+) frames in .*?(?:; (\d+) frames? dropped to keep up)?$", stdout, re.M)
    assert stop and done, stdout
    assert int(stop[1]) == int(done[1]) and int(stop[2]) == int(stop[1]) + int(stop[3] or 0)
    assert int(stop[3] or 0) == int(done[2] or 0)
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADER and len(rows) > 1 and all(len(r) == len(HEADER) for r in rows)


def test_fuzzed_arguments_never_raise_a_traceback(capsys):
    """Random option/value mixes: argparse either accepts them or exits 2 with one line."""
    import random

    from emotion_monitor.cli import build_parser

    options = ["--camera", "--video", "--demo", "--gui", "--record", "--stats-json", "--max-frames", "--realtime",
               "--detector", "--model", "--tiles", "--tiles-per-frame", "--min-face", "--threshold", "--window",
               "--duration", "--hysteresis", "--cooldown", "--threads", "--quiet", "--nope", "-x"]
    values = ["0", "-1", "1e9", "nan", "inf", "abc", "", "4x3", "0x0", "9x9", "-0.5", "2", "haar", "yolo", "a.mp4",
              "\x00", "--", "1x", "x1", "-inf", "86401"]
    rng = random.Random(7)
    exits = 0
    for _ in range(400):
        argv = [rng.choice(options + values) for _ in range(rng.randint(1, 6))]
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:
            assert exc.code == 2, argv
            exits += 1
            err = capsys.readouterr().err
            assert ONE_LINE.fullmatch(err), (argv, err)
    assert exits > 100  # most random mixes are invalid


@pytest.mark.parametrize("args", [("--gui", "--demo"), ()])
def test_without_a_display_the_window_exits_2_with_one_line(args):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "emotion_monitor.cli", *args], capture_output=True, text=True,
                          timeout=120, env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert proc.returncode == 2  # Qt aborted with 134 and five lines
    assert "no display to open the window on (DISPLAY is not set)" in one_error_line(proc)


def test_a_missing_xcb_cursor_library_is_named_with_its_package():
    from emotion_monitor.errors import MonitorError
    from emotion_monitor.gui.binding import check_display

    with pytest.raises(MonitorError, match="libxcb-cursor0 .Debian/Ubuntu: sudo apt install libxcb-cursor0"):
        check_display({"DISPLAY": ":0"}, "linux", find_library=lambda name: None)
    check_display({"DISPLAY": ":0"}, "linux", find_library=lambda name: f"lib{name}.so.0")  # found: no error
    check_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")  # a platform the user chose needs no display
    check_display({}, "darwin")


def test_python_m_emotion_monitor_is_the_command():
    proc = subprocess.run([sys.executable, "-m", "emotion_monitor", "--help"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: emotion-monitor")


def test_help_names_the_subcommands():
    proc = run("--help")
    assert proc.returncode == 0 and "emotion-monitor report CSV --out FILE" in proc.stdout
    assert "emotion-monitor batch FOLDER --out DIR" in proc.stdout


def test_the_notice_is_a_printable_sign_in_pdf_and_png(tmp_path):
    import cv2

    from emotion_monitor.notice import notice_lines

    proc = run("notice", "--contact", "the front desk", "--keep-days", "30", "--out", str(tmp_path / "sign"))
    assert proc.returncode == 0, proc.stderr
    pdf, png = tmp_path / "sign.pdf", tmp_path / "sign.png"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    img = cv2.imread(str(png))
    assert img is not None and img.shape[0] > img.shape[1] and (img < 100).mean() > 0.005  # A4 portrait, with text on it
    text = " ".join(notice_lines("the front desk", 30))
    assert "the front desk" in text and "30 days" in text and "no picture of any face is stored" in text
    assert "until the operator deletes them" in " ".join(notice_lines("x"))
    assert "Nothing is recorded" in " ".join(notice_lines("x", recording=False))
    assert run("notice").returncode == 2  # whom to ask is required


@pytest.mark.slow
def test_the_demo_loops_without_a_cut_so_its_people_keep_their_ids_and_leave_the_learning_phase(tmp_path):
    """The demo played the 4.2-s clip once: the whole run sat in the learning phase (each face's first 4 s), and
    looped forwards it cut back to the start at every pass (people jumping across the street)."""
    import cv2

    from emotion_monitor.build import DEMO_CLIP, DEMO_FRAMES
    from emotion_monitor.cli import build_parser
    from emotion_monitor.options import capture_from

    cap = cv2.VideoCapture(str(DEMO_CLIP))
    frames = []
    while (got := cap.read())[0]:
        frames.append(cv2.cvtColor(got[1], cv2.COLOR_BGR2GRAY).astype(float))
    cap.release()
    step = [abs(a - b).mean() for a, b in zip(frames, frames[1:])]
    assert abs(frames[-1] - frames[0]).mean() <= 2 * max(step)  # the loop's seam is one ordinary step
    o = capture_from(build_parser().parse_args(["--demo"]))
    assert o.loop and o.max_frames == DEMO_FRAMES == 4 * len(frames) and DEMO_FRAMES / 25 >= 30
    out = tmp_path / "demo.csv"
    proc = run("--demo", "--max-frames", str(2 * len(frames)), "--record", str(out))
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = {r["face_id"] for r in rows if int(r["frame"]) < len(frames)}
    second = {r["face_id"] for r in rows if int(r["frame"]) >= len(frames)}
    assert len(second - first) <= 2 and len(first & second) >= 4, (first, second)  # the same people walk on
    moods = [float(r["mood"]) for r in rows if int(r["frame"]) >= len(frames) and r["mood"]]  # "": nobody counted
    assert sum(m != 0 for m in moods) > 0.8 * len(moods) and len(moods) > 0.5 * len(rows) / 2  # read, never held at 0


def test_ctrl_c_closes_the_window_as_its_close_button_does(tmp_path):
    """Ctrl+C in the terminal left the window running (Qt's loop ignored SIGINT): make demo could not stop."""
    import signal

    out = tmp_path / "w.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "emotion_monitor", "--gui", "--demo", "--record", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n") > 20):
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        stdout, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err and "QBackingStore" not in err, err  # #52 item 10
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADER and len(rows) > 20 and all(len(r) == len(HEADER) for r in rows)
    assert re.search(r"^demo\.mp4: window closed: \d+ frames analysed of \d+ read", stdout, re.M), stdout  # #52 item 8


def test_ctrl_c_on_the_refusal_dialog_ends_the_process_not_just_its_windows(tmp_path):
    """No camera: the window says so in a dialog before its own loop starts. Ctrl+C there closed every window
    and left the process running with nothing on screen; it exits 0 now, and the terminal got the reason too."""
    import signal

    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    err_path = tmp_path / "err.txt"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "emotion_monitor", "--gui", "--camera", "9"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=err, text=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and "no camera at index 9" not in err_path.read_text():
                time.sleep(0.2)
            time.sleep(1.0)  # the dialog's loop is running
            proc.send_signal(signal.SIGINT)
            rc = proc.wait(timeout=15)
        finally:
            proc.kill()
    text = err_path.read_text()
    assert rc == 0 and "Traceback" not in text and "emotion-monitor: warning: no camera at index 9" in text, text


@pytest.mark.slow
@pytest.mark.parametrize("window", [True, False], ids=["window", "headless"])
def test_ctrl_c_during_make_demo_still_writes_the_report(tmp_path, window):
    """Ctrl+C reaches make as well as the monitor: make stopped before the report's recipe line."""
    import shutil
    import signal

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):  # outputs in tmp_path; same timestamps
        (tmp_path / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if window:
        env["QT_QPA_PLATFORM"] = "offscreen"
    venv = Path(sys.executable).parent.parent
    # -o: this venv counts as installed (make would otherwise reinstall into it when pyproject.toml is newer)
    proc = subprocess.Popen(["make", "-s", "demo", f"VENV={venv}", "-o", f"{venv}/.app"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    csv_path = tmp_path / "demo.csv"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (csv_path.exists() and csv_path.read_text().count("\n") > 20):
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does: make, its shell and the monitor
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert ("the window" in out) == window and "Traceback" not in out, out
    report = tmp_path / "demo-report.html"
    assert report.exists() and report.stat().st_size > 10_000, out
    assert report.stat().st_mtime >= csv_path.stat().st_mtime  # made from the run just stopped
    assert "open demo-report.html in a browser" in out  # and the user is told where it is


def test_wrong_arguments_exit_2_and_a_report_path_is_checked_before_its_csv_is_read(tmp_path, capsys):
    """README: wrong arguments exit 2 (one line); #52: a report's path is checked before the work."""
    from emotion_monitor.cli import main

    for argv in (["--demo", "--camera", "0"], ["--sources", str(tmp_path / "s.toml"), "--video", "v.mp4"],
                 ["report", str(tmp_path / "s.csv"), "--out", str(tmp_path / "r.docx")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("emotion-monitor: error: "), argv
    # the CSV does not exist either: the report's own path is what it says, so it was checked first
    assert main(["report", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "no" / "r.html")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"emotion-monitor: error: cannot write {tmp_path / 'no' / 'r.html'}: folder does not exist"]
    assert main(["report", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "r.html")]) == 1
    assert "missing.csv" in capsys.readouterr().err and not (tmp_path / "r.html").exists()  # nothing left behind
