"""How many sources one monitor keeps up with on this machine, and where the time goes.

    python benchmarks/multi.py [--seconds 15] [--max-streams 6] [--configs 720p@15,720p@25,1080p@15,1080p@25]

Each source is the shared street clip (crowd_1080p.mp4, H.264) re-encoded at the size and frame rate
of a configuration (ffmpeg, libx264; cached in the system's temp folder), played in real time and
looped, N of them at once through ``runner.Runner`` as ``emotion-monitor --realtime --video ...``
plays them. A source "keeps" the frames the monitor analysed out of those it delivered (the others
were dropped as stale). The table gives the share kept with 1, 2, ... streams; a configuration
"fits" N streams when each keeps >= 90%.

A second table says where the time goes with four 720p sources: decoding (measured alone, per
frame), and the pipeline's stages (mean per frame: searches run every other frame). A third compares the faces of every lane
classified in one batch (the default) with one classifier call per lane.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.detection import MEDIA  # noqa: E402
from emotion_monitor.runner import MULTI_DEFAULTS, Runner  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402
from emotion_monitor.sources import SourceSpec  # noqa: E402
from emotion_monitor.types import CaptureOptions  # noqa: E402

SIZES = {"540p": (960, 540), "720p": (1280, 720), "1080p": (1920, 1080)}


def clip(size: str, fps: int, src: Path = MEDIA / "crowd_1080p.mp4") -> Path:
    """The street clip at ``size`` and ``fps`` (cached)."""
    w, h = SIZES[size]
    out = Path(tempfile.gettempdir()) / f"em_bench_{src.stem}_{size}_{fps}.mp4"
    if out.exists():
        return out
    if shutil.which("ffmpeg") is not None:
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-vf", f"scale={w}:{h},fps={fps}",
                        "-c:v", "libx264", "-preset", "medium", "-crf", "23", "-pix_fmt", "yuv420p", str(out)],
                       check=True)
        return out
    return _encode_with_pyav(src, out, (w, h), fps)


def _encode_with_pyav(src: Path, out: Path, size: tuple[int, int], fps: int) -> Path:
    """The same H.264 file through PyAV (the dev extra's FFmpeg) where no ffmpeg command is installed: every
    frame resized (area), frames picked by time for the new rate, libx264 CRF 23."""
    from fractions import Fraction

    import av

    cap = cv2.VideoCapture(str(src))
    src_fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    n = int(len(frames) / src_fps * fps)
    picked = [frames[min(len(frames) - 1, int(i * src_fps / fps))] for i in range(n)]
    with av.open(str(out), "w") as box:
        stream = box.add_stream("libx264", rate=Fraction(fps), options={"crf": "23", "preset": "medium"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for img in picked:
            small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            for packet in stream.encode(av.VideoFrame.from_ndarray(small, format="bgr24")):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return out


def decode_ms(path: Path) -> float:
    cap = cv2.VideoCapture(str(path))
    times = []
    while True:
        t = time.perf_counter()
        ok, _ = cap.read()
        if not ok:
            break
        times.append(time.perf_counter() - t)
    cap.release()
    return float(np.median(times) * 1000)


def play(path: Path, n: int, seconds: float, batch_lanes: bool = True, settings: Settings | None = None) -> dict:
    """N copies of ``path`` in real time for ``seconds``: per lane frames kept, and the stage timings."""
    specs = [SourceSpec(f"lane {i + 1}", video=str(path)) for i in range(n)]
    multi = Runner(settings or MULTI_DEFAULTS, specs, capture_options=CaptureOptions(realtime=True, loop=True),
                   batch_lanes=batch_lanes,
                         on_warning=lambda w: None)
    deadline = time.monotonic() + seconds
    multi.run(lambda: time.monotonic() >= deadline)
    kept = []
    for lane in multi.lanes:
        frames, dropped = lane.pipeline.frames, lane.capture.dropped
        kept.append(frames / max(frames + dropped, 1))
    stages = {}
    for stage in ("detect", "crop", "classify", "track", "mood", "total"):
        values = np.concatenate([np.array(lane.pipeline.timings.get(stage, [0.0])) for lane in multi.lanes])
        stages[stage] = float(np.mean(values))
    out = {"kept": kept, "stages": stages, "fps": sum(lane.pipeline.frames for lane in multi.lanes) / seconds,
           "faces_per_call": multi.batched_faces / max(multi.batches, 1),
           "faces": np.mean([lane.pipeline.faces / max(lane.pipeline.frames, 1) for lane in multi.lanes])}
    multi.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--max-streams", type=int, default=6)
    ap.add_argument("--configs", default="720p@15,720p@25,1080p@15,1080p@25")
    ap.add_argument("--detect-width", type=int, default=MULTI_DEFAULTS.detect_width)
    args = ap.parse_args()
    settings = Settings(detect_width=args.detect_width)
    configs = [(c.split("@")[0], int(c.split("@")[1])) for c in args.configs.split(",")]
    print(f"# Several sources, one monitor: {platform.processor() or platform.machine()} x{os.cpu_count()}, "
          f"{args.seconds:.0f} s a run, real time, looped; source: crowd_1080p.mp4 re-encoded (H.264); "
          f"detection at {args.detect_width} px wide\n")
    print("| source | " + " | ".join(f"{n} stream{'s' if n > 1 else ''}" for n in range(1, args.max_streams + 1))
          + " | fits (>= 90% kept) |")
    print("|---" * (args.max_streams + 2) + "|")
    four = None
    for size, fps in configs:
        path = clip(size, fps)
        cells, fits = [], 0
        for n in range(1, args.max_streams + 1):
            r = play(path, n, args.seconds, settings=settings)
            worst = min(r["kept"])
            cells.append(f"{worst:.0%}")
            if (size, fps, n) == ("720p", 15, 4):
                four = r
            if worst >= 0.9:
                fits = n
            elif n > fits + 1:  # two in a row below: more streams only keep less
                cells += ["-"] * (args.max_streams - n)
                break
        print(f"| {size} at {fps} fps | " + " | ".join(cells) + f" | {fits} |", flush=True)
    print("\n(each cell: the lowest share of frames kept among the streams)\n")
    path = clip("720p", 15)
    four = four or play(path, 4, args.seconds, settings=settings)
    one_each = play(path, 4, args.seconds, batch_lanes=False, settings=settings)
    print(f"## Where the time goes: four 720p sources at 15 fps ({four['faces']:.1f} faces a frame)\n")
    print("| step | ms a frame (mean) |")
    print("|---|---|")
    print(f"| decode (capture threads, measured alone) | {decode_ms(path):.2f} |")
    for stage in ("detect", "crop", "classify", "track", "mood", "total"):
        print(f"| {stage}{' (pipeline, main loop)' if stage == 'total' else ''} | {four['stages'][stage]:.2f} |")
    print("\n## One classifier batch for every lane's faces, or one call a lane (four 720p at 15 fps)\n")
    print("| classifier calls | faces a call | classify ms a frame (mean) | frames kept (lowest) | frames a second |")
    print("|---|---|---|---|---|")
    for name, r in (("one batch a round (default)", four), ("one call a lane", one_each)):
        print(f"| {name} | {r['faces_per_call']:.1f} | {r['stages']['classify']:.2f} | {min(r['kept']):.0%} | "
              f"{r['fps']:.1f} |")


if __name__ == "__main__":
    main()
