"""Where the bundled files live: inside an installed wheel, or in a source checkout.

The repository keeps its models and the demo clip in the top-level ``models/`` and ``assets/``
folders; the wheel installs them as package data of ``emotion_monitor.models`` and
``emotion_monitor.assets`` (``pyproject.toml`` maps the folders), so ``importlib.resources`` finds
them wherever pip put the package. A checkout that was never installed falls back to the folders.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def bundled(kind: str, name: str) -> Path:
    """Path of a bundled file; ``kind`` is "models" or "assets"."""
    if kind not in ("models", "assets"):
        raise ValueError(f"unknown kind of bundled file {kind!r}")
    try:
        root = Path(str(files(f"emotion_monitor.{kind}")))
    except ModuleNotFoundError:
        root = SOURCE_ROOT / kind
    return root / name
