"""Make ``assets/demo.mp4``: the street clip played forwards, then backwards, so that it loops without a cut.

The source is ``crowd_1080p.mp4`` (4.2 s; MIT licence, see ``assets/README.md``). Played on a loop as it is,
every pass starts the street over: the people jump back, the tracker gives them new ids and the mood learns
their resting faces again, so the demo never left its learning phase. Forwards then backwards, the last
frame of one pass is next to the first of the next: the same people walk on, keep their ids, and the mood
moves from their readings. Written with PyAV's libx264 (no ffmpeg program needed).

    python tools/make_demo_clip.py ../shared/media/crowd_1080p.mp4 assets/demo.mp4
"""

from __future__ import annotations

import argparse
from fractions import Fraction

import av


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--crf", type=int, default=20, help="libx264 quality (lower: larger and sharper)")
    args = ap.parse_args()
    with av.open(args.source) as src:
        stream = src.streams.video[0]
        rate = stream.average_rate or Fraction(25)
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(stream)]
    # 0 .. n-1, then n-2 .. 1: looping back to frame 0 continues the motion without a repeated frame
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    h, w = frames[0].shape[:2]
    with av.open(args.out, "w") as dst:
        out = dst.add_stream("libx264", rate=rate)
        out.width, out.height, out.pix_fmt = w, h, "yuv420p"
        out.options = {"crf": str(args.crf), "preset": "slow", "movflags": "+faststart"}
        for i in order:
            for packet in out.encode(av.VideoFrame.from_ndarray(frames[i], format="rgb24")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)
    print(f"{args.out}: {len(order)} frames at {float(rate):g} fps ({len(order) / float(rate):.1f} s), {w}x{h}")


if __name__ == "__main__":
    main()
