"""Errors the app reports to a person as one line (``emotion-monitor: error: ...``)."""


class MonitorError(Exception):
    """Base class: anything the CLI turns into one clear line and exit status ``code`` (1)."""

    code = 1


class UsageError(MonitorError):
    """Wrong arguments (options that contradict each other, a report of a kind there is none of): exit 2,
    as argparse's own refusals."""

    code = 2


class SourceError(MonitorError):
    """No camera, or a video file that is missing or cannot be read."""


class ModelError(MonitorError):
    """A model file that is missing, corrupt or of the wrong shape."""


class RecordingError(MonitorError):
    """The CSV cannot be written (unwritable path, disk full)."""


GUI_PACKAGES = ("PySide6", "shiboken6", "pyqtgraph")


def extra_needed(what: str, extra: str, exc: ImportError) -> str:
    """The one line for a feature whose optional packages are missing (pyproject.toml's extras):
    ``the window needs the [gui] extra: pip install 'emotion-monitor[gui]' (PySide6 is not installed)``."""
    missing = (exc.name or str(exc)).split(".")[0]
    return f"{what} needs the [{extra}] extra: pip install 'emotion-monitor[{extra}]' ({missing} is not installed)"
