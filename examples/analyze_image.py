"""Find the faces in one image and print their emotions.

    python examples/analyze_image.py [IMAGE]

Without an image it takes a frame of the bundled demo clip.
"""

import sys

import cv2

import emotion_monitor as em
from emotion_monitor.resources import bundled


def main(argv: list[str]) -> int:
    if argv:
        image = argv[0]
    else:
        cap = cv2.VideoCapture(str(bundled("assets", "demo.mp4")))
        ok, image = cap.read()
        cap.release()
        if not ok:
            print("cannot read the demo clip", file=sys.stderr)
            return 1
    faces = em.analyze(image)
    print(f"{len(faces)} face(s)")
    for f in faces:
        x0, y0, x1, y1 = (round(v) for v in f.xyxy)
        print(f"  ({x0}, {y0})-({x1}, {y1})  {f.emotion:8s} {f.confidence:.0%}  mood score {f.score:+.2f}  "
              f"quality {f.quality}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
