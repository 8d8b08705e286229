"""Watch a video (or a camera) as a queue monitor would: the group's mood once a second, alerts as they
come, a CSV of every face, and each person seen at the end.

    python examples/watch_video.py [VIDEO | CAMERA_INDEX] [--csv FILE]

Without a source it plays the bundled demo clip.
"""

import argparse

import emotion_monitor as em
from emotion_monitor.resources import bundled


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("source", nargs="?", default=str(bundled("assets", "demo.mp4")))
    ap.add_argument("--csv", default="watch.csv")
    args = ap.parse_args(argv)
    source = int(args.source) if args.source.isdigit() else args.source
    with em.Monitor(source, sinks=[em.CsvRecorder(args.csv)], on_alert=lambda e: print(e.text)) as monitor:
        last = None
        for result in monitor:
            second = int(result.frame.media_time)
            if second != last:
                last = second
                m = result.mood
                print(f"{second:4d} s  faces {m.faces}  mood {m.score:+.2f}" + ("  ALERT" if m.alert else ""))
        people = monitor.summary()["people"]
    print(f"{len(people)} people; rows in {args.csv}")
    for p in people:
        mood = "-" if p["mean_mood"] is None else f"{p['mean_mood']:+.2f}"
        print(f"  #{p['person']}: {p['dwell_s']:.1f} s in view, mean mood {mood}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
