"""The real window under Xvfb on the three shared clips against committed screenshots (tests/screenshots/),
with a tolerance (fonts and anti-aliasing move a few pixels). benchmarks/gui_screens.py renders them: each
clip's 40th frame through the real pipeline, the window at 1500x820. To renew the references after a
change to the window, look at the new pictures first:

    xvfb-run -a -s "-screen 0 1600x900x24" python benchmarks/gui_screens.py tests/screenshots
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import composite

ROOT = Path(__file__).resolve().parent.parent
REFS = Path(__file__).resolve().parent / "screenshots"
CLIPS = ("crowd_1080p", "marathon_540p", "hikers_walking")
needs_shared = pytest.mark.skipif(not (composite.SHARED / "media" / "crowd_1080p.mp4").exists()
                                  and not os.environ.get("CI"), reason="../shared is not beside the checkout")
needs_xvfb = pytest.mark.skipif(shutil.which("xvfb-run") is None and not os.environ.get("CI"),
                                reason="xvfb-run not installed (apt-get install xvfb xauth)")


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    out = tmp_path_factory.mktemp("screens")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x900x24", sys.executable,
                           str(ROOT / "benchmarks" / "gui_screens.py"), str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@needs_shared
@needs_xvfb
@pytest.mark.parametrize("clip", CLIPS)
def test_the_window_matches_its_reference_screenshot(clip, shots):
    shot = cv2.imread(str(shots / f"{clip}.png"))
    ref = cv2.imread(str(REFS / f"{clip}.png"))
    assert ref is not None and shot is not None and ref.shape == shot.shape, (clip, getattr(shot, "shape", None))
    diff = np.abs(ref.astype(np.int16) - shot.astype(np.int16)).max(axis=2)
    assert diff.mean() < 2.0 and (diff > 40).mean() < 0.01, (clip, float(diff.mean()), float((diff > 40).mean()))
