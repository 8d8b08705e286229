"""Errors the app reports to a person as one line (``emotion-monitor: error: ...``)."""


class MonitorError(Exception):
    """Base class: anything the CLI turns into one clear line and exit status 1."""


class SourceError(MonitorError):
    """No camera, or a video file that is missing or cannot be read."""


class ModelError(MonitorError):
    """A model file that is missing, corrupt or of the wrong shape."""


class RecordingError(MonitorError):
    """The CSV cannot be written (unwritable path, disk full)."""
