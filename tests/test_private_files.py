"""Owner-only files (#50, 2): one function (privacy.open_private) opens every file the package writes, creates
it 0600 and tightens one that exists; the modes are read back from the files themselves. The printed notice
is public by design and the only exception."""

import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from emotion_monitor.privacy import open_private, write_private

PACKAGE = Path(__file__).resolve().parent.parent / "emotion_monitor"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def loose(path, text="old\n") -> Path:
    """A file left readable by everyone, as a umask of 022 makes it."""
    Path(path).write_text(text)
    os.chmod(path, 0o644)
    assert mode(path) == 0o644
    return Path(path)


@pytest.mark.parametrize("how", ["w", "a", "wb", "ab"])
def test_open_private_creates_0600_and_tightens_an_existing_file(tmp_path, how):
    old = os.umask(0)  # the most open umask there is: the file's mode is still 0600
    try:
        with open_private(tmp_path / "new", how) as fh:
            fh.write(b"x" if "b" in how else "x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new") == 0o600
    with open_private(loose(tmp_path / "old"), how) as fh:
        fh.write(b"y" if "b" in how else "y")
    assert mode(tmp_path / "old") == 0o600
    assert (tmp_path / "old").read_text() == ("old\ny" if how.startswith("a") else "y")
    with pytest.raises(ValueError):
        open_private(tmp_path / "r", "r")


def test_no_module_writes_a_file_any_other_way():
    """Every write in the package goes through privacy.open_private / write_private: no ``write_text``,
    ``write_bytes``, ``cv2.imwrite``, ``open(..., "w")`` or a figure saved to a path, outside privacy.py and
    the public notice (notice.py); two reviewed exceptions that write nothing: os.devnull, and the
    recorder's empty 0600 file made to learn early that its path can be written."""
    allowed = {("native.py", 'open(os.devnull, "w")'),
               ("recording.py", "os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)")}
    pattern = re.compile(r"""\.write_text\(|\.write_bytes\(|imwrite\(|os\.open\(self\.path[^\n]*|"""
                         r"""open\([^)\n]*["'][wa]b?["'][,)]|savefig\((?!buf|page)\w|imsave\((?!fh)\w|PdfPages\((?!fh)\w""")
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("privacy.py", "notice.py"):
            continue
        for hit in pattern.finditer(path.read_text()):
            if not any(path.name == name and text.startswith(hit.group(0)[:20]) for name, text in allowed):
                found.append(f"{path.relative_to(PACKAGE)}: {hit.group(0)}")
    assert found == []


def test_the_monitors_files_are_owner_only_even_over_loose_old_ones(scene_video, tmp_path):
    from emotion_monitor import cli
    from emotion_monitor.report import write_report

    paths = {k: loose(tmp_path / n) for k, n in (("record", "s.csv"), ("stats", "s.json"), ("people", "p.csv"))}
    assert cli.main(["--video", str(scene_video), "--quiet", "--record", str(paths["record"]), "--overwrite",
                     "--stats-json", str(paths["stats"]), "--people-csv", str(paths["people"])]) == 0
    for suffix in (".html", ".png", ".pdf"):
        paths["report" + suffix] = loose(tmp_path / f"r{suffix}")
        write_report(paths["record"], paths["report" + suffix])
    assert {k: oct(mode(p)) for k, p in paths.items()} == {k: oct(0o600) for k in paths}
    assert paths["report.png"].read_bytes().startswith(b"\x89PNG") and paths["report.pdf"].read_bytes().startswith(b"%PDF")


def test_a_snapshot_is_owner_only(tmp_path):
    import cv2

    from emotion_monitor.overlay import save_snapshot
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Detections, Frame, FrameResult, MoodState

    result = FrameResult(Frame(np.full((60, 80, 3), 120, np.uint8), 0, 1.8e9), Detections(), (),
                         MoodState(0.1, 0.0, 0, False))
    snap = loose(tmp_path / "snap.png")
    line = save_snapshot(str(snap), result, None, Settings())
    assert line.startswith("snapshot saved") and mode(snap) == 0o600 and cv2.imread(str(snap)).shape == (60, 80, 3)
    assert save_snapshot(str(tmp_path / "none" / "x.png"), result, None, Settings()).startswith("cannot write")


def test_write_private_text_and_bytes(tmp_path):
    write_private(loose(tmp_path / "t"), "é")
    write_private(loose(tmp_path / "b"), b"\x00")
    assert (tmp_path / "t").read_text(encoding="utf-8") == "é" and (tmp_path / "b").read_bytes() == b"\x00"
    assert mode(tmp_path / "t") == mode(tmp_path / "b") == 0o600
