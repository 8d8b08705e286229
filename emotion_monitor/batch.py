"""Analyse a whole archive of recordings: ``emotion-monitor batch INPUT_DIR --out OUT_DIR``.

Every video under INPUT_DIR goes through the same session as ``emotion-monitor --video`` (the same
CSV rows), and gets beside its CSV a stats JSON and a report. ``summary.csv`` / ``summary.json`` list
every file: its status, frames, mood, alert time, or the error that stopped it.

- Resumable: a file is finished when its ``.done.json`` exists (written last, atomically, with the
  input's size and modification time). A rerun skips finished files and redoes the others from
  scratch: a partial CSV is deleted, never kept.
- Parallel on one machine: ``--jobs N`` processes, each with one pipeline whose classifier and
  OpenCV threads share the cores (cores // N each), so the machine is used, not oversubscribed.
- On a cluster: ``--ray ADDRESS`` (the ``[cluster]`` extra) runs the same function in Ray actors, one
  per worker slot, each loading the models once and analysing file after file; input and output
  paths must be on storage the workers share. ``--ray local`` starts a Ray runtime on this machine.
- ``--sample-fps F`` analyses F frames a second of each video's clock (the rest are not decoded).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import MonitorError
from .privacy import open_private, write_private
from .settings import Settings
from .types import CaptureOptions

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".ts")
SUMMARY_FIELDS = ("file", "status", "frames", "video_seconds", "wall_seconds", "mean_faces", "mean_mood",
                  "alert_seconds", "negative_rows", "rows", "error")


def find_videos(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)


def outputs(video: Path, root: Path, out: Path) -> dict[str, Path]:
    base = out / video.relative_to(root).with_suffix("")
    return {"csv": base.with_suffix(".csv"), "stats": base.with_name(base.name + ".stats.json"),
            "report": base.with_name(base.name + ".report.html"), "done": base.with_name(base.name + ".done.json")}


def figures(report: Any, stats: Any, fps: float) -> dict[str, Any]:
    """A file's summary figures from its report (session_csv.SessionSummary) and stats, the same at every privacy
    level: a per-frame CSV counts alert frames (divided by the analysed ``fps``), an "aggregate" one (one row a
    second) alert seconds already; the share of negative rows is per face, so not kept at "aggregate" (empty),
    and its mean mood is over the seconds that kept one (the minimum group)."""
    alert_s = report.alert_frames if report.aggregate else report.alert_frames / fps
    return {"video_seconds": round(stats["frames"] / fps, 2), "mean_faces": stats["mean_faces"],
            "mean_mood": "" if report.mean_mood != report.mean_mood else round(report.mean_mood, 4),  # NaN: none kept
            "alert_seconds": round(alert_s, 2), "rows": report.rows,
            "negative_rows": "" if report.aggregate else round(report.negative_rows / max(report.rows, 1), 4)}


def fingerprint(video: Path) -> dict[str, int]:
    st = video.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def is_done(video: Path, paths: dict[str, Path]) -> dict[str, Any] | None:
    """The finished file's record, or None when it must be (re)done."""
    try:
        done: dict[str, Any] = json.loads(paths["done"].read_text())
    except (OSError, ValueError):
        return None
    if done.get("input") != fingerprint(video) or not paths["csv"].exists():
        return None
    return done


class Analyser:
    """One pipeline, loaded once, analysing file after file (a process of --jobs, or a Ray actor)."""

    def __init__(self, settings: Settings, threads: int | None = None):
        import cv2

        if threads:
            cv2.setNumThreads(threads)
            from dataclasses import replace

            settings = replace(settings, threads=threads)
        from .app import build_pipeline

        self.settings = settings
        self.pipeline = build_pipeline(settings)

    def analyse(self, video: str | Path, root: str | Path, out: str | Path, sample_fps: float | None = None,
                progress: Callable[[int], object] | None = None) -> dict[str, Any]:
        """Analyse one file into its outputs; returns its summary row (status "done" or "failed")."""
        from .app import open_capture
        from .recording import CsvRecorder
        from .report import write_report
        from .runner import Runner

        video, root, out = Path(video), Path(root), Path(out)
        paths = outputs(video, root, out)
        row: dict[str, Any] = {"file": str(video.relative_to(root)), "status": "failed", "error": ""}
        t0 = time.perf_counter()
        for p in paths.values():  # a partial output of an earlier run is redone, never kept
            p.unlink(missing_ok=True)
        paths["csv"].parent.mkdir(parents=True, exist_ok=True)
        recorder = capture = None
        try:
            capture = open_capture(video=str(video), options=CaptureOptions(sample_fps=sample_fps))
            recorder = CsvRecorder(paths["csv"], privacy=self.settings.privacy)
            self.pipeline.reset()
            runner = Runner.of(self.settings, capture, self.pipeline, [recorder])  # not closed: the pipeline serves every file
            for _ in runner.results():
                if progress is not None:
                    progress(1)
            recorder.close()
            stats = runner.lanes[0].summary(recorder.rows)
            if stats["frames"] == 0:
                raise MonitorError("no frame could be decoded")
            write_private(paths["stats"], json.dumps(stats, indent=1) + "\n")
            report = write_report(paths["csv"], paths["report"])  # one pass over the CSV gives the figures too
            row.update(status="done", frames=stats["frames"], wall_seconds=round(time.perf_counter() - t0, 2),
                       **figures(report, stats, capture.info.fps / capture.sample_every))
            tmp = paths["done"].with_suffix(".tmp")
            write_private(tmp, json.dumps({"input": fingerprint(video), "summary": row}, indent=1) + "\n")
            os.replace(tmp, paths["done"])  # written last: the file counts as finished only now
        except MonitorError as exc:
            row["error"] = str(exc)
        except Exception as exc:  # a bad file must not stop the batch; say what broke
            row["error"] = f"{type(exc).__name__}: {exc}" + ("" if str(exc) else traceback.format_exc(limit=1))
        finally:
            if capture is not None:
                capture.stop()
            if recorder is not None:
                recorder.close()
        if row["status"] != "done":
            for key in ("csv", "stats", "report"):
                paths[key].unlink(missing_ok=True)
        return row

    def close(self) -> None:
        self.pipeline.close()


# ---- local processes ------------------------------------------------------------------------------
_worker: Analyser | None = None


def _init_worker(settings_dict: dict[str, Any], threads: int) -> None:
    global _worker
    _worker = Analyser(Settings(**settings_dict), threads)


def _work(args: tuple[Any, ...]) -> dict[str, Any]:
    assert _worker is not None, "the pool's initializer sets the worker"
    return _worker.analyse(*args)


def _plain_progress(total: int, done: int) -> Callable[[int], None]:
    """A stand-in for a progress bar's ``update`` on a pipe: one line a file, ``files 3/6``."""
    count = [done]

    def update(n: int = 1) -> None:
        count[0] += n
        print(f"files {count[0]}/{total}", file=sys.stderr, flush=True)

    return update


def run_batch(input_dir: str, out_dir: str, settings: Settings, jobs: int = 1, ray_address: str | None = None,
              sample_fps: float | None = None, progress: bool = True) -> dict[str, Any]:
    """Analyse every video under ``input_dir``; returns the summary (also written to OUT_DIR)."""
    from tqdm import tqdm

    root, out = Path(input_dir), Path(out_dir)
    if sample_fps:  # sparse frames: search every one of them for faces
        from dataclasses import replace

        settings = replace(settings, detect_every=1)
    if not root.is_dir():
        raise MonitorError(f"input folder not found: {root}")
    out.mkdir(parents=True, exist_ok=True)
    videos = find_videos(root)
    rows, todo = [], []
    for v in videos:
        done = is_done(v, outputs(v, root, out))
        if done:
            rows.append({**done["summary"], "status": "skipped (done before)"})
        else:
            todo.append(v)
    t0 = time.perf_counter()
    cores = os.cpu_count() or 1
    tty = sys.stderr.isatty()  # bars redraw a terminal line; on a pipe they are escape codes: plain lines there
    bar = tqdm(total=len(videos), initial=len(videos) - len(todo), unit="file", desc="files",
               disable=not (progress and tty))
    if progress and not tty:
        bar.update = _plain_progress(len(videos), len(videos) - len(todo))
    if ray_address:
        rows += _run_ray(todo, root, out, settings, ray_address, sample_fps, bar)
    elif jobs <= 1:
        rows += _run_here(todo, root, out, settings, cores, sample_fps, bar, progress and tty)
    else:
        rows += _run_pool(todo, root, out, settings, max(1, cores // jobs), jobs, sample_fps, bar)
    bar.close()
    return _summarize(rows, root, out, len(videos), time.perf_counter() - t0,
                      {"jobs": jobs, "ray": ray_address, "sample_fps": sample_fps})


def _run_here(todo: list[Path], root: Path, out: Path, settings: Settings, threads: int, sample_fps: float | None,
              bar: Any, frames_shown: bool) -> list[dict[str, Any]]:
    """The files one after the other in this process (``--jobs 1``), a bar of frames under the bar of files."""
    from tqdm import tqdm

    rows = []
    analyser = Analyser(settings, threads=threads)
    frames_bar = tqdm(unit="frame", desc="frames", position=1, leave=False, disable=not frames_shown)
    try:
        for v in todo:
            frames_bar.set_postfix_str(v.name)
            rows.append(analyser.analyse(str(v), str(root), str(out), sample_fps, frames_bar.update))
            bar.update(1)
    finally:
        frames_bar.close()
        analyser.close()
    return rows


def _run_pool(todo: list[Path], root: Path, out: Path, settings: Settings, threads: int, jobs: int,
              sample_fps: float | None, bar: Any) -> list[dict[str, Any]]:
    """The files over ``jobs`` worker processes, ``threads`` each."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    rows = []
    # spawn, not fork: this process already runs native threads (OpenCV, LiteRT) a fork could deadlock on
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(asdict(settings), threads)) as pool:
        futures = [pool.submit(_work, (str(v), str(root), str(out), sample_fps)) for v in todo]
        for f in as_completed(futures):
            rows.append(f.result())
            bar.update(1)
    return rows


def _summarize(rows: list[dict[str, Any]], root: Path, out: Path, files: int, wall: float,
               how: dict[str, Any]) -> dict[str, Any]:
    """The run's summary, written to OUT_DIR as summary.csv (a row a file) and summary.json."""
    rows.sort(key=lambda r: r["file"])
    analysed = [r for r in rows if r["status"] == "done"]
    video_s = sum(r.get("video_seconds", 0) for r in analysed)
    summary = {"input": str(root), "files": files, "done": len(analysed),
               "skipped": sum(r["status"].startswith("skipped") for r in rows),
               "failed": [{"file": r["file"], "error": r["error"]} for r in rows if r["status"] == "failed"],
               "wall_seconds": round(wall, 2), "video_seconds_analysed": round(video_s, 2),
               "throughput": round(video_s / wall, 3) if wall > 0 and analysed else 0.0, **how, "rows": rows}
    with open_private(out / "summary.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, SUMMARY_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    write_private(out / "summary.json", json.dumps(summary, indent=1) + "\n")
    return summary


def _run_ray(todo: list[Path], root: Path, out: Path, settings: Settings, address: str, sample_fps: float | None,
             bar: Any) -> list[dict[str, Any]]:
    try:
        import ray
        from ray.util import ActorPool
    except ImportError as exc:
        raise MonitorError(f"--ray needs the [cluster] extra (pip install 'emotion-monitor[cluster]'): {exc}") from None
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, num_cpus=os.cpu_count() if address == "local"
                 else None, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    slots = max(1, int(ray.available_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]  # untyped in Ray
    per_actor = 1  # one core an actor: the cluster's cores are the unit of parallelism
    Remote = ray.remote(num_cpus=per_actor)(Analyser)
    actors = [Remote.remote(settings, per_actor) for _ in range(min(slots, max(len(todo), 1)))]
    pool = ActorPool(actors)
    rows = []
    for row in pool.map_unordered(lambda a, v: a.analyse.remote(str(v), str(root), str(out), sample_fps), todo):
        rows.append(row)
        bar.update(1)
    for a in actors:
        ray.kill(a)  # type: ignore[arg-type]
    return rows
