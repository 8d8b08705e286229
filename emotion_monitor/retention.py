"""Retention that runs: the files the monitor writes are deleted once older than ``--keep-days`` days, at
start and then every hour while it runs, the command line and the window alike (:class:`Retention`, a sink).

What is deleted: in the folders the monitor writes to (its recording's, its people CSV's and stats JSON's,
the window's recordings' and snapshots'), only the files this app wrote, recognised by their content
(:func:`recognise`): a recording (a session CSV's header, any version or privacy level), a people CSV,
a stats JSON, a report (HTML, PNG or PDF) and a snapshot (the PNG and PDF files carry the app's name as
their "Software" / "Creator"). Never another file, a sub-folder or a link, nor a file the run is writing.

How old: a recording rotated by day (recording.dated: ``queue-2026-12-06.csv``, one UTC day's rows) counts
from the end of its day, so ``--keep-days 1`` deletes a day's file one day after the day ended; any other
file counts from when it was last written (its modification time). The check runs at start and at least
every :data:`EVERY` seconds, so a file goes at most that long after its time: the notice says so.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .people import PEOPLE_COLUMNS
from .recording import OWN
from .report import WRITER
from .types import FrameResult

EVERY = 3600.0  # seconds between two checks while running
DAY = 86400.0
DATED = re.compile(r"-(\d{4}-\d{2}-\d{2})\.csv$")
log = logging.getLogger("emotion_monitor")


def recognise(path: Path) -> str | None:
    """Which of this app's files ``path`` is ("recording", "people", "stats", "report", "image"), or None for
    any other (its content decides, never its name alone)."""
    suffix = path.suffix.lower()
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if suffix == ".csv":
            line = head.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
            if line.startswith(OWN):
                return "recording"
            return "people" if line == ",".join(PEOPLE_COLUMNS) else None
        if suffix == ".json":
            try:
                data = json.loads(head + fh.read(20_000_000))
            except ValueError:
                return None
            return "stats" if isinstance(data, dict) and {"frames", "seconds", "csv_rows"} <= set(data) else None
        if suffix in (".html", ".htm"):
            return "report" if b"<h1>Emotion Monitor session report</h1>" in head else None
        if suffix == ".png":
            return "image" if b"tEXtSoftware\x00" + WRITER.encode() in head else None
        if suffix == ".pdf":
            return "report" if f"/Creator ({WRITER})".encode() in head + fh.read(50_000_000) else None
    return None


def written_until(path: Path) -> float:
    """When ``path``'s content ends: the end of its UTC day for a day's recording, else its modification time."""
    day = DATED.search(path.name)
    if day:
        start = datetime.strptime(day.group(1), "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()
        return start + DAY
    return path.stat().st_mtime


def prune_folder(folder: str | Path, keep_days: float, now: float | None = None, keep: Iterable[Path] = (),
                 kinds: Iterable[str] | None = None) -> list[Path]:
    """Delete this app's files in ``folder`` (not its sub-folders) older than ``keep_days`` days at ``now``
    (seconds since the epoch; tests pass a fake clock), of ``kinds`` (:func:`recognise`; default all), never
    one of ``keep``. Returns the files deleted; one it cannot read or delete is left as it is."""
    now = time.time() if now is None else now
    kept = {p.resolve() for p in keep}
    removed = []
    for path in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []:
        try:
            if now - written_until(path) <= keep_days * DAY:  # first: most files are young, and a stat is cheap
                continue
            if not path.is_file() or path.is_symlink() or path.resolve() in kept:
                continue
            kind = recognise(path)
            if kind is None or (kinds is not None and kind not in kinds):
                continue
            path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed


def prune_recordings(folder: str | Path, keep_days: float, now: float | None = None,
                     keep: Path | None = None) -> list[Path]:
    """Delete this app's recordings (session CSVs, any version or level) in ``folder`` older than ``keep_days``
    days; any other file, a CSV of other columns included, is never touched, nor sub-folders or ``keep``."""
    return prune_folder(folder, keep_days, now, [keep] if keep is not None else [], kinds=("recording",))


class Retention:
    """A sink that deletes the files the monitor wrote (:func:`prune_folder`) older than ``keep_days`` in
    ``folders`` (:meth:`watch` adds one: the folder of a file about to be written), at the first result and
    then whenever ``every`` seconds of ``clock`` have passed since the last check; never a file of
    ``keep()`` (the ones being written). It follows the run's settings (``keep_days``, 0: keep all);
    ``warn`` gets one line per file deleted."""

    def __init__(self, keep_days: float, folders: Iterable[str | Path] = (),
                 keep: Callable[[], Iterable[Path]] = lambda: (), clock: Callable[[], float] = time.time,
                 warn: Callable[[str], None] | None = None, every: float = EVERY) -> None:
        self.keep_days, self.keep, self.clock, self.every = keep_days, keep, clock, every
        self.warn = warn or log.warning
        self.folders: list[Path] = []
        self.last: float | None = None
        for folder in folders:
            self.watch(folder, file=False)
        self.removed: list[Path] = []

    def watch(self, path: str | Path, file: bool = True) -> None:
        """Check ``path``'s folder too (``file`` False: ``path`` is the folder), a new one at the next result."""
        folder = (Path(path).parent if file else Path(path)).resolve()
        if folder not in self.folders:
            self.folders.append(folder)
            self.last = None

    def prune(self) -> list[Path]:
        """Check now; the files deleted."""
        now = self.last = self.clock()
        if not self.keep_days:
            return []
        keep = list(self.keep())
        removed = [p for folder in self.folders for p in prune_folder(folder, self.keep_days, now, keep)]
        for path in removed:
            self.warn(f"removed {path} (older than {self.keep_days:g} days)")
        self.removed += removed
        return removed

    def follow(self, settings: Any) -> None:
        self.keep_days = settings.keep_days

    def write(self, result: FrameResult) -> None:
        if self.last is None or self.clock() - self.last >= self.every:
            self.prune()

    def close(self) -> None:
        pass
