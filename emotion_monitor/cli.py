"""emotion-monitor: headless monitor (--camera / --video), or the desktop window with no source."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from pathlib import Path

PROG = "emotion-monitor"


def _tiles(text: str):
    if text.lower() in ("none", "off", "0"):
        return None
    try:
        cols, rows = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected COLSxROWS, e.g. 4x3, or 'off'") from None
    if not (1 <= cols <= 8 and 1 <= rows <= 8):
        raise argparse.ArgumentTypeError("tiles must be between 1x1 and 8x8")
    return cols, rows


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {v}")
    return v


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (0 <= v <= 86_400):
        raise argparse.ArgumentTypeError(f"out of range: {v}")
    return v


def _score(text: str) -> float:
    v = _seconds(text) if not text.startswith("-") else -_seconds(text[1:])
    if not -1 <= v <= 1:
        raise argparse.ArgumentTypeError("must be between -1 and 1")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Watch faces on a camera or video, tell their emotion, "
                                "and alert when the group's mood turns negative. With no source, opens the window.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=_positive_int, metavar="N", help="camera index (0 is the default camera)")
    src.add_argument("--video", metavar="PATH", help="video file")
    src.add_argument("--demo", action="store_true", help="the bundled demo clip (assets/demo.mp4)")
    p.add_argument("--gui", action="store_true", help="open the window on the given source")
    p.add_argument("--record", metavar="FILE.csv", help="append one row per face per frame to this CSV")
    p.add_argument("--stats-json", metavar="FILE", help="write a run summary (frames, faces, fps, stage timings)")
    p.add_argument("--max-frames", type=_positive_int, metavar="N", help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="play a video file again from its start when it ends "
                                                       "(stop with Ctrl+C or --max-frames)")
    p.add_argument("--realtime", action="store_true", help="play a video file at its own fps, dropping frames "
                   "when processing is slower (default: process every frame)")
    p.add_argument("--detector", choices=["yunet", "mediapipe", "haar"], default="yunet",
                   help="face detector: yunet (default: boxes and landmarks, small and turned faces), "
                        "mediapipe (tiles), haar")
    p.add_argument("--detect-every", type=_positive_int, default=2, metavar="K",
                   help="yunet: search the whole frame every K frames, faces followed between (default 2)")
    p.add_argument("--detect-width", type=_positive_int, default=960, metavar="PX",
                   help="yunet: frames wider than this are downscaled to it for detection (default 960)")
    p.add_argument("--model", metavar="PATH", help="emotion model .tflite (its .json beside it)")
    p.add_argument("--tiles", type=_tiles, default=(4, 3), metavar="COLSxROWS",
                   help="tile grid for small faces in large frames (default 4x3; 'off' for none)")
    p.add_argument("--tiles-per-frame", type=_positive_int, default=1, metavar="N",
                   help="views (whole frame or a tile) searched per frame for new faces, round robin; "
                   "known faces are followed every frame (default 1; 0 = all views every frame)")
    p.add_argument("--min-face", type=_positive_int, default=0, metavar="PX", help="ignore faces smaller than this")
    p.add_argument("--threshold", type=_score, default=-0.3, help="alert when mood stays below this (-1..1)")
    p.add_argument("--window", type=_seconds, default=10.0, metavar="S", help="seconds averaged for mood and trend")
    p.add_argument("--duration", type=_seconds, default=5.0, metavar="S", help="seconds below threshold to alert")
    p.add_argument("--hysteresis", type=_seconds, default=0.1, help="margin above threshold to clear an alert")
    p.add_argument("--cooldown", type=_seconds, default=30.0, metavar="S", help="seconds after a clear with no alert")
    p.add_argument("--drop", type=_seconds, default=0.3,
                   help="also alert when mood stays this far below its own baseline (0 = off; default 0.3)")
    p.add_argument("--baseline", type=_seconds, default=180.0, metavar="S",
                   help="seconds of history the mood baseline averages (default 180)")
    p.add_argument("--threads", type=_positive_int, default=2, help="classifier threads")
    p.add_argument("--quiet", action="store_true", help="no status lines (alerts and errors still print)")
    return p


def settings_from(args):
    from .app import Settings
    from .mood import MoodConfig

    return Settings(detector=args.detector, model=args.model, tiles=args.tiles,
                    tiles_per_frame=args.tiles_per_frame or None, min_face=args.min_face, threads=max(1, args.threads),
                    detect_every=args.detect_every, detect_width=args.detect_width,
                    mood=MoodConfig(threshold=args.threshold, window=args.window, duration=args.duration,
                                    hysteresis=args.hysteresis, cooldown=args.cooldown, drop=args.drop,
                                    baseline=args.baseline))


def error(msg: str) -> int:
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    return 1


def run_headless(args) -> int:
    from .app import DEMO_CLIP, build_pipeline, open_capture
    from .errors import MonitorError
    from .recording import CsvRecorder, iso_utc

    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: warning: %(message)s")
    video = str(DEMO_CLIP) if args.demo else args.video
    recorder = pipeline = capture = None
    stopping = {"sig": False}

    def on_signal(signum, _frame):
        stopping["sig"] = True

    old = signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, on_signal)
    try:
        capture = open_capture(args.camera, video, args.realtime, args.max_frames,
                               on_status=lambda m: print(f"{PROG}: {m}", file=sys.stderr, flush=True),
                               loop=args.loop)
        if args.record:
            recorder = CsvRecorder(args.record)
        if args.stats_json:
            _check_writable(Path(args.stats_json))
        pipeline = build_pipeline(settings_from(args))
        info = capture.info
        if not args.quiet:
            print(f"{info.kind} {info.name}: {info.width}x{info.height} at {info.fps:.0f} fps; "
                  f"detector {args.detector}, model {pipeline.classifier.name}", flush=True)
        capture.start()
        t_start = time.monotonic()
        last_status = t_start
        frames_since = 0
        for frame in capture.frames(lambda: stopping["sig"], poll=0.5):
            result = pipeline.process(frame)
            if result is None:
                continue
            frames_since += 1
            if recorder:
                recorder.write(result)
            m = result.mood
            if m.event == "alert":
                bar = (f"below {args.threshold:+.2f}" if m.reason == "threshold" else
                       f"{args.drop:.2f} or more below its baseline {m.baseline:+.2f}")
                print(f"ALERT {iso_utc(frame.timestamp)} frame {frame.index}: mood {m.score:+.2f} {bar} "
                      f"for {args.duration:.0f} s ({m.faces} faces)", flush=True)
            elif m.event == "clear":
                print(f"CLEAR {iso_utc(frame.timestamp)} frame {frame.index}: mood {m.score:+.2f}", flush=True)
            now = time.monotonic()
            if now - last_status >= 1.0 and not args.quiet:
                print(f"frame {frame.index:6d}  fps {frames_since / (now - last_status):5.1f}  faces {m.faces:2d}  "
                      f"mood {m.score:+.2f}  trend {m.trend:+.2f}/min{'  ALERT' if m.alert else ''}", flush=True)
                last_status, frames_since = now, 0
        elapsed = time.monotonic() - t_start
        if capture.error:
            raise MonitorError(capture.error)
        if stopping["sig"] and not args.quiet:
            print("stopped", flush=True)
        summary = {
            "source": f"{info.kind}:{info.name}", "frames": pipeline.frames, "skipped_frames": pipeline.skipped,
            "dropped_frames": capture.dropped, "mean_faces": round(pipeline.faces / max(pipeline.frames, 1), 3),
            "fps": round(pipeline.frames / elapsed, 2) if elapsed > 0 else 0.0,
            "seconds": round(elapsed, 3), "stages": pipeline.stats(),
            "detector": args.detector, "model": pipeline.classifier.name,
            "csv_rows": recorder.rows if recorder else 0,
        }
        if args.stats_json:
            _write_json(Path(args.stats_json), summary)
        if not args.quiet:
            print(f"done: {summary['frames']} frames in {elapsed:.1f} s ({summary['fps']} fps), "
                  f"{summary['mean_faces']} faces per frame", flush=True)
        return 0
    except MonitorError as exc:
        return error(str(exc))
    finally:
        signal.signal(signal.SIGINT, old)
        if capture:
            capture.stop()
        if recorder:
            recorder.close()
        if pipeline:
            pipeline.close()


def _check_writable(path: Path) -> None:
    from .errors import RecordingError

    if not path.parent.exists() or (path.exists() and path.is_dir()):
        raise RecordingError(f"cannot write {path}: folder does not exist")


def _write_json(path: Path, data: dict) -> None:
    from .errors import RecordingError

    try:
        path.write_text(json.dumps(data, indent=1) + "\n")
    except OSError as exc:
        raise RecordingError(f"cannot write {path}: {exc.strerror or exc}") from exc


def run_gui(args) -> int:
    from .errors import MonitorError

    try:
        from .gui.binding import check_binding
        from .gui.main import run as gui_run
    except ImportError as exc:
        return error(f"the desktop window is not available ({exc}); run headless with --camera N or --video FILE")
    try:
        check_binding()
    except MonitorError as exc:
        return error(str(exc))
    return gui_run(args)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.gui or (args.camera is None and args.video is None and not args.demo):
        return run_gui(args)
    try:
        return run_headless(args)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
