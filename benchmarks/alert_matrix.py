"""The alert's presentation matrix through the real model: calm footage, however it is presented, must
raise no ALERT (also with the threshold 0.1 stricter); real unhappy faces that turn must raise one within
6 s and clear after they go or come back to rest; faces unhappy from the moment they are first seen (an
arrival into a calm group, one person alone) are marked, no ALERT.

    python benchmarks/alert_matrix.py [--seconds 20] [--workers 2] [--refresh] [--model candidate.tflite]
                                      [--clips street,hikers] [--stored] [--out report.md]

The desk set (benchmarks/desk.py): one person at a laptop's webcam, calm faces that read sad at rest, a
smile fading to a calm face, looks down (720p and 480p, area and bicubic, mp4v and H.264, 15/25/30 fps,
40 s each); and two turn cases, a turn at a desk and the same with a look away mid-alert.

Calm: every calm clip of benchmarks/presentations.py (street, hikers, marathon, and two composites of
calm FER+ faces: walkers passing a pillar, a queue forming) x resize filter (area, linear, cubic) x
height (1080, 720, 540, 360) x codec (none, mp4v, H.264) x frame rate (15, 25, 30) x loop (forwards;
forwards and backwards), ``--seconds`` each (the street and the hikers 30 s: measured first, at 30).
The headline: false alerts per hour of calm footage (goal
0), and the closest any presentation came to an alert: the lowest group mood against the threshold,
and the longest a person stayed below their bar in a case that raises the alert, against the
``person_duration`` it needs.

Turns: the queue composites "turn" (3 of 6 turn unhappy at 30 s, leave at 50 s), "alone" (one unhappy
person from 0 s, leaving at 30 s) and "arrival" (an unhappy person walks into a calm five at 30 s,
leaves at 50 s), each as made and in three other presentations.

The tracks of every presentation are kept (compact, in the temp folder), so a change of the mood rule
is measured on the whole matrix by replaying them (seconds); ``--refresh`` runs the pipeline again.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from collections import namedtuple
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import presentations as pr  # noqa: E402
from emotion_monitor.mood import MoodConfig, MoodMonitor  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402

# a face as the mood stage reads it (a Track's fields it uses), for fast replays of stored tracks
Face = namedtuple("Face", "track_id xyxy probs quality")
# the turn cases as made (960x540, 25 fps) and in three other presentations (at most 720p: a 70-s clip held
# in memory at 1080p, twice over for the codec, outgrows 24 GB)
TURN_PRESENTATIONS = [pr.Variant("", "area", 0, "none", 0.0), pr.Variant("", "cubic", 720, "h264", 15.0),
                      pr.Variant("", "linear", 360, "mp4v", 30.0), pr.Variant("", "area", 360, "h264", 25.0)]


def configs() -> dict[str, MoodConfig]:
    base = MoodConfig()
    return {"default": base, "threshold +0.1": replace(base, threshold=base.threshold + 0.1),
            "turn -0.5": replace(base, turn=base.turn - 0.5)}  # the person's rule a third stricter


def _pack(frames: list) -> dict:
    times = np.array([t for t, _ in frames], np.float64)
    counts = np.array([len(tr) for _, tr in frames], np.int32)
    flat = [x for _, tr in frames for x in tr]
    return {"t": times, "n": counts, "id": np.array([x.track_id for x in flat], np.int64),
            "xyxy": np.array([x.xyxy for x in flat], np.float32).reshape(-1, 4),
            "probs": np.array([x.probs for x in flat], np.float32).reshape(-1, 7),
            "ok": np.array([x.quality == "ok" for x in flat], bool)}


def unpack(d) -> list:
    """[(media time, [Face, ...])] of stored tracks."""
    out, k = [], 0
    ids, xyxy, probs, ok = d["id"].tolist(), d["xyxy"], d["probs"], d["ok"].tolist()
    for t, n in zip(d["t"].tolist(), d["n"].tolist()):
        out.append((t, [Face(ids[i], xyxy[i], probs[i], "ok" if ok[i] else "gated") for i in range(k, k + n)]))
        k += n
    return out


def replay(frames: list, config: MoodConfig) -> dict:
    """The mood stage over stored tracks: its events ``[(kind, media time, reason, who)]``, the lowest
    group fall below its resting faces (what the group's rule judges), the longest a person stayed turned,
    the times people were first marked (read unhappy when first seen), and the share of frames with a face
    read."""
    monitor = MoodMonitor(config)
    events, low, hold, marked, read = [], 1.0, 0.0, {}, 0
    for t, tracks in frames:
        m = monitor.update(tracks, t)
        if m.faces:
            read += 1
            low = min(low, m.vs_rest if m.vs_rest is not None else 0.0)
        if m.event:
            events.append((m.event, t, m.reason, m.who))
        for pid in m.marked:
            marked.setdefault(pid, t)
        hold = max(hold, monitor.resting.longest_hold(t))
    return {"events": events, "low": low, "hold": hold, "marked": marked, "read": read / max(len(frames), 1)}


def _store(model: str, read_rate: float = 0.0) -> Path:
    folder = pr.CACHE / "tracks" / (pr.model_key(model) + (f"_read{read_rate:g}" if read_rate else ""))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_PRESENTER: pr.Presenter | None = None


def _init(model: str, read_rate: float = 0.0) -> None:
    global _PRESENTER
    import cv2

    cv2.setNumThreads(1)  # one core a worker
    _PRESENTER = pr.Presenter(model, read_rate)


def tracks_of(v: pr.Variant, loops, seconds: float, model: str = "", refresh: bool = False,
              read_rate: float = 0.0) -> dict:
    """{loop: [(media time, faces)]} of a variant's presentations, from the store or the pipeline."""
    store = _store(model, read_rate)
    paths = {loop: store / f"{v.key}_{loop}_{seconds:g}.npz" for loop in loops}
    if refresh or not all(p.exists() for p in paths.values()):
        presenter = _PRESENTER or pr.Presenter(model, read_rate)
        made = pr.variant_pass(v)
        for loop, path in paths.items():
            np.savez_compressed(path, **_pack(list(presenter.play(v, loop, seconds, made))))
    return {loop: unpack(np.load(path)) for loop, path in paths.items()}


def _measure(job) -> list:
    v, seconds, model, refresh, read_rate = job
    out = []
    for loop, frames in tracks_of(v, pr.LOOPS, seconds, model, refresh, read_rate).items():
        span = frames[-1][0] - frames[0][0] + (frames[1][0] - frames[0][0] if len(frames) > 1 else 0) if frames else 0.0
        out.append((v, loop, span, {name: replay(frames, c) for name, c in configs().items()}))
    return out


# seconds a presentation of these clips plays (the others: --seconds)
SECONDS = {"street": 30.0, "hikers": 30.0, **dict.fromkeys(pr.DESK, 40.0)}


def _stored(v: pr.Variant, seconds: float, model: str, read_rate: float) -> bool:
    return all((_store(model, read_rate) / f"{v.key}_{loop}_{seconds:g}.npz").exists() for loop in pr.LOOPS)


def calm_matrix(seconds: float, workers: int, model: str = "", refresh: bool = False, clips=(*pr.CALM, *pr.DESK),
                read_rate: float = 0.0, variants=None, stored: bool = False) -> list:
    """Every calm presentation's replays (``variants``: a subset of the matrix's, default all of it, taken
    clip by clip in turn so that a run cut short covers every clip; ``stored``: only those already played)."""
    if variants is None:
        per_clip = [pr.variants(c) for c in clips]
        variants = [v for k in range(max(map(len, per_clip))) for vs in per_clip if k < len(vs) for v in [vs[k]]]
    if stored:
        variants = [v for v in variants if _stored(v, SECONDS.get(v.clip, seconds), model, read_rate)]
    jobs = [(v, SECONDS.get(v.clip, seconds), model, refresh, read_rate) for v in variants]
    rows: list = []
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(workers, _init, (model, read_rate)) as pool:
        for k, got in enumerate(pool.imap(_measure, jobs)):
            rows += got
            for v, loop, _, res in got:
                bad = [name for name, r in res.items() if any(e[0] == "alert" for e in r["events"])]
                if bad:
                    print(f"  FALSE ALERT {v.key} {loop}: " + "; ".join(
                        f"{name} {[(round(e[1], 1), e[2], e[3]) for e in res[name]['events'] if e[0] == 'alert']}"
                        for name in bad), file=sys.stderr, flush=True)
            if (k + 1) % 20 == 0:
                print(f"  {k + 1}/{len(jobs)} variants, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return rows


MARKED = ("arrival", "alone")  # unhappy from the moment they are first seen: a mark, no alert


def turn_verdict(kind: str, r: dict) -> tuple[bool, str]:
    turn, gone = pr.TURNS[kind]
    alerts = [e for e in r["events"] if e[0] == "alert"]
    if kind in MARKED:
        first = min((t for t in r["marked"].values() if t >= turn), default=None)
        ok = not alerts and first is not None and first - turn <= 6.0
        return ok, (f"marked +{first - turn:.1f} s" if first is not None  # else: how much there was to read
                    else f"not marked (a face read in {r['read']:.0%} of the frames)") + (
            f", {len(alerts)} alert(s)" if alerts else ", no alert")
    early = [e for e in alerts if e[1] < turn]
    first = next((e for e in alerts if e[1] >= turn), None)
    if early:
        return False, f"alert at {early[0][1]:.1f} s, before the turn"
    if first is None:  # say how much there was to read: a face the detector misses cannot be judged
        return False, f"no alert (a face read in {r['read']:.0%} of the frames)"
    clear = next((e for e in r["events"] if e[0] == "clear" and e[1] > first[1]), None)
    text = f"alert +{first[1] - turn:.1f} s ({first[2]}, #{','.join(map(str, first[3]))})" + (
        f", clear {clear[1]:.1f} s" if clear else ", no clear")
    if len(alerts) > 1:
        text += f", {len(alerts)} alerts"
    return first[1] - turn <= 6.0 and clear is not None and clear[1] >= gone and len(alerts) == 1, text


def turn_rows(model: str = "", refresh: bool = False, read_rate: float = 0.0, presentations=None) -> list:
    """[(case, variant, {configuration: replay})] of the turn cases in each of ``presentations`` (default
    TURN_PRESENTATIONS)."""
    out = []
    for kind in pr.TURNS:
        for v in presentations or TURN_PRESENTATIONS:
            v = replace(v, clip=kind)
            frames = tracks_of(v, ("once",), 3600.0, model, refresh, read_rate)["once"]  # the whole clip, once
            out.append((kind, v, {n: replay(frames, c) for n, c in configs().items()}))
    return out


def verdicts(model: str = "", seconds: float = 20.0, workers: int = 2, read_rate: float = 0.0) -> dict[str, str]:
    """{presentation: "ok ..." or "FAIL ..."} at the default rule: each calm clip over all its presentations,
    each turn case in each presentation (benchmarks/ship_gate.py reads these)."""
    rows = calm_matrix(seconds, workers, model, read_rate=read_rate)
    out = {}
    for clip in (*pr.CALM, *pr.DESK):
        alerts = [(r[0].key, r[1]) for r in rows if r[0].clip == clip
                  for e in r[3]["default"]["events"] if e[0] == "alert"]
        out[f"{clip}, every presentation"] = "ok" if not alerts else f"FAIL: {len(alerts)} alert(s), {alerts[0][0]} {alerts[0][1]}"
    for kind, v, res in turn_rows(model, read_rate=read_rate):
        ok, text = turn_verdict(kind, res["default"])
        out[f"{kind} {v.key.split('_', 1)[1]}"] = ("ok: " if ok else "FAIL: ") + text
    return out


def mood_speed(faces: int = 50, hours: float = 1.0) -> tuple[float, float]:
    """p50 and p95 ms of the mood stage a frame with ``faces`` faces, after ``hours`` of history."""
    from emotion_monitor.types import LABELS, Track

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(len(LABELS)), size=(64, faces)).astype(np.float32)
    boxes = np.array([[60 * j, 0, 60 * j + 50, 50] for j in range(faces)], np.float32)
    monitor = MoodMonitor(MoodConfig())
    t, k = 0.0, 0

    def tracks(i):  # people come and go: ids move on by one every 2 s
        base = int(i // 2)
        return [Track(base + j, boxes[j], probs[k % 64, j], probs[k % 64, j]) for j in range(faces)]

    while t < hours * 3600:  # the history, at 5 frames a second
        monitor.update(tracks(t), t)
        t, k = t + 0.2, k + 1
    times = []
    for _ in range(2000):  # then timed at 25 frames a second
        trs = tracks(t)
        t0 = time.perf_counter()
        monitor.update(trs, t)
        times.append(time.perf_counter() - t0)
        t, k = t + 0.04, k + 1
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 95) * 1000)


def report(rows: list, turns: list, seconds: float) -> list[str]:
    c = configs()
    lines = ["## Calm footage", "",
             "| clip | presentations | hours | " + " | ".join(f"false alerts ({n})" for n in c) +
             " | lowest group fall (default) | longest turn held (default, s) |", "|---|---|---|" + "---|" * len(c) + "---|---|"]
    total_h, total = 0.0, dict.fromkeys(c, 0)
    worst = None
    for clip in dict.fromkeys(v.clip for v, *_ in rows):
        mine = [r for r in rows if r[0].clip == clip]
        hours = sum(r[2] for r in mine) / 3600
        counts = {n: sum(sum(e[0] == "alert" for e in r[3][n]["events"]) for r in mine) for n in c}
        low = min(r[3]["default"]["low"] for r in mine)
        hold = max(r[3]["default"]["hold"] for r in mine)
        lines.append(f"| {clip} | {len(mine)} | {hours:.2f} | " + " | ".join(str(counts[n]) for n in c) +
                     f" | {low:+.2f} | {hold:.1f} |")
        total_h += hours
        for n in c:
            total[n] += counts[n]
    for r in rows:
        for n, cfg in c.items():
            margin = r[3][n]["low"] - cfg.threshold
            if worst is None or margin < worst[0]:
                worst = (margin, n, r[0].key, r[1])
    for name, part in (("crowds", [r for r in rows if r[0].clip not in pr.DESK]),
                       ("one person at a desk", [r for r in rows if r[0].clip in pr.DESK])):
        hours = sum(r[2] for r in part) / 3600
        counts = [sum(sum(e[0] == "alert" for e in r[3][n]["events"]) for r in part) for n in c]
        lines.append(f"| **{name}** | {len(part)} | {hours:.2f} | " + " | ".join(map(str, counts)) + " | | |")
    lines.append(f"| **all** | {len(rows)} | {total_h:.2f} | " + " | ".join(str(total[n]) for n in c) + " | | |")
    lines += ["", "False alerts per hour of calm footage: " + ", ".join(
        f"{n} {total[n] / max(total_h, 1e-9):.2f}" for n in c)
        + f" ({total_h:.2f} h; a presentation plays {seconds:g} s, the street and the hikers 30 s).",
        f"Closest group fall (below its resting faces) to its threshold: {worst[0]:+.2f} above it ({worst[1]}, "
        f"{worst[2]} {worst[3]})." if worst else "",
        f"Longest a person stayed turned: "
        f"{max((r[3][n]['hold'] for r in rows for n in c), default=0):.1f} s of the {MoodConfig().person_duration:g} s "
        "an alert needs.", "", "## Turns", "", "| case | presentation | " + " | ".join(c) + " |",
        "|---|---|" + "---|" * len(c)]
    for kind, v, res in turns:
        lines.append(f"| {kind} | {v.key.split('_', 1)[1]} | " + " | ".join(
            ("ok: " if ok else "FAIL: ") + text for ok, text in (turn_verdict(kind, res[n]) for n in c)) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds each calm presentation plays")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--refresh", action="store_true", help="run the pipeline again instead of the stored tracks")
    ap.add_argument("--model", default="", help="emotion model .tflite (default: the shipped one)")
    ap.add_argument("--clips", default=",".join((*pr.CALM, *pr.DESK)), help="calm clips to present (comma-separated)")
    ap.add_argument("--stored", action="store_true", help="only the presentations already played (a quick replay)")
    ap.add_argument("--out", default="", help="also write the tables to this markdown file")
    ap.add_argument("--no-turns", action="store_true", help="the calm matrix alone")
    ap.add_argument("--read-rate", type=float, default=None,
                    help="the pipeline's read rate (default: the app's default setting)")
    args = ap.parse_args()
    base = MoodConfig()
    rate = Settings().read_rate if args.read_rate is None else args.read_rate
    t0 = time.perf_counter()
    rows = calm_matrix(args.seconds, args.workers, args.model, args.refresh, tuple(args.clips.split(",")), rate,
                       stored=args.stored)
    turns = [] if args.no_turns else turn_rows(args.model, args.refresh, rate)
    p50, p95 = mood_speed()
    lines = [f"# The alert's presentation matrix ({args.model or 'shipped model'}, read rate {rate:g}/s; "
             f"mood: window {base.window:g} s, "
             f"duration {base.duration:g} s, group threshold {base.threshold:+.2f}, turn {base.turn:g} log-odds "
             f"for {base.person_duration:g} s)", "", *report(rows, turns, args.seconds), "",
             f"Mood stage, 50 faces a frame after an hour of history: p50 {p50:.3f} ms, p95 {p95:.3f} ms a frame.",
             f"({time.perf_counter() - t0:.0f} s)"]
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
