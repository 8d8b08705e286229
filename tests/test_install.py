"""The install by need (pyproject.toml, docs/install.md): the core (headless OpenCV, LiteRT, reports, metrics)
runs with no extra, the window and MediaPipe each say in one line which extra they need, and the core stays
under 500 MB. The fresh-venv install itself is tests/test_wheel.py's (slow)."""

import importlib.metadata as md
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
CORE_LIMIT_MB = 500  # the budget for `pip install emotion-monitor` (measured 433 MB: docs/install.md)
EXTRAS = ("PySide6", "shiboken6", "pyqtgraph", "mediapipe")


def run_without(missing, *argv, cwd=ROOT):
    """The command line in a fresh interpreter where the ``missing`` packages cannot be imported (as in an
    install without their extra)."""
    code = (f"import sys; sys.modules.update(dict.fromkeys({list(missing)!r})); "
            f"from emotion_monitor.cli import main; sys.exit(main({list(argv)!r}))")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_window_without_the_gui_extra_is_one_line_naming_it():
    proc = run_without(["PySide6", "pyqtgraph"], "--gui", "--demo")
    assert proc.returncode == 2 and proc.stderr.splitlines() == [
        "emotion-monitor: error: the window needs the [gui] extra: pip install 'emotion-monitor[gui]' "
        "(PySide6 is not installed); or run headless with --camera N, --video FILE or --demo"]


def test_the_mediapipe_detector_without_its_extra_is_one_line_naming_it(tmp_path):
    proc = run_without(["mediapipe"], "--demo", "--max-frames", "3", "--detector", "mediapipe", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr.splitlines() == [
        "emotion-monitor: error: --detector mediapipe needs the [mediapipe] extra: pip install "
        "'emotion-monitor[mediapipe]' (mediapipe is not installed)"]


def test_the_core_runs_the_demo_records_and_reports_with_no_extra(tmp_path):
    """What a headless box, a batch worker or a cluster node installs: no Qt, no MediaPipe."""
    demo = run_without(EXTRAS, "--demo", "--max-frames", "20", "--record", "demo.csv", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    report = run_without(EXTRAS, "report", "demo.csv", "--out", "demo.html", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "20 frames" in report.stdout and (tmp_path / "demo.html").stat().st_size > 10_000


def core_requirements():
    """The distributions `pip install emotion-monitor` brings, by name: its requirements without an extra, and
    theirs, to the end."""
    seen, todo = set(), [r for r in md.requires("emotion-monitor") or [] if _needed(r)]
    while todo:
        name = re.sub(r"[-_.]+", "-", Requirement(todo.pop()).name).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += [r for r in md.requires(name) or [] if _needed(r)]
        except md.PackageNotFoundError:
            pytest.fail(f"{name} is not installed: the venv predates pyproject.toml (make rebuilds it)")
    return seen


def _needed(requirement: str) -> bool:
    marker = Requirement(requirement).marker
    return marker is None or marker.evaluate({"extra": ""})


def installed_mb(name: str) -> float:
    files = md.distribution(name).files or []
    return sum(f.locate().stat().st_size for f in files if f.locate().is_file()) / 2**20


def test_the_core_install_stays_under_500_mb():
    """The core's packages as installed here (their RECORDs), with pip and setuptools, which a fresh venv has,
    and the app's own files (its models and demo clip) as the wheel carries them."""
    names = core_requirements()
    assert "opencv-python-headless" in names and not {"pyside6-essentials", "pyqtgraph", "mediapipe",
                                                       "opencv-contrib-python", "platformdirs"} & names
    app = sum(p.stat().st_size for d in ("emotion_monitor", "models", "assets", "training")
              for p in (ROOT / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts) / 2**20
    sizes = {name: installed_mb(name) for name in names | {"pip", "setuptools"}}
    total = sum(sizes.values()) + app
    assert 300 < total <= CORE_LIMIT_MB, sorted(sizes.items(), key=lambda kv: -kv[1])[:8]
