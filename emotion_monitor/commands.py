"""The subcommands beside the monitor: ``emotion-monitor report``, ``batch`` and ``notice`` (cli.py runs the
monitor itself and hands these their arguments), and the command line's shared helpers.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import options
from .privacy import DEFAULT as DEFAULT_PRIVACY
from .privacy import LEVELS, MIN_GROUP

PROG = "emotion-monitor"


def warn(line: str) -> None:
    """A one-line warning on stderr, as every way in prints them (``emotion-monitor: warning: ...``)."""
    print(f"{PROG}: warning: {line}", file=sys.stderr, flush=True)


class Parser(argparse.ArgumentParser):
    """argparse's parser, refusing in one line (``emotion-monitor: error: MSG (see emotion-monitor --help)``, exit
    2) rather than the usage block, five lines long here, above the one line that says what was wrong."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def error(msg: str, code: int = 1) -> int:
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    return code


def _at_least_zero(text: str, kind: Callable[[str], float], what: str) -> float:
    """``text`` as ``kind``, >= 0 (NaN refused too: a negative or NaN age would delete every recording)."""
    try:
        v = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
    if not v >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return v


def count_arg(text: str) -> int:
    return int(_at_least_zero(text, int, "an integer"))


def positive_arg(text: str) -> int:
    """An integer >= 1 (``--max-frames 0`` would run nothing and say it was done)."""
    v = count_arg(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return v


def days_arg(text: str) -> float:
    return _at_least_zero(text, float, "a number of days")


def notice_main(argv: Sequence[str]) -> int:
    p = Parser(prog=f"{PROG} notice", description="A printable sign (A4, PDF and PNG) telling "
               "the people in view what is monitored, what is kept, for how long and whom to ask.")
    p.add_argument("--out", default="notice", help="file name without suffix: writes OUT.pdf and OUT.png")
    p.add_argument("--contact", required=True, help="whom to ask: a name, a desk, an e-mail address")
    p.add_argument("--keep-days", type=days_arg, default=0, metavar="N", help="days recordings are kept (0: until deleted)")
    p.add_argument("--no-recording", action="store_true", help="the monitor records nothing (live view and alerts only)")
    p.add_argument("--place", default="this area", help="what the camera watches (default: this area)")
    p.add_argument("--sends-alerts", action="store_true", help="alerts go to staff through --alert-webhook")
    p.add_argument("--privacy", choices=LEVELS, default=DEFAULT_PRIVACY,
                   help=f"the monitor's --privacy level, which says what is kept (default {DEFAULT_PRIVACY})")
    p.add_argument("--min-group", type=count_arg, default=MIN_GROUP, metavar="N",
                   help=f"the monitor's --min-group: at aggregate, no mood of fewer faces (default {MIN_GROUP})")
    args = p.parse_args(argv)
    from .notice import write_notice

    try:
        paths = write_notice(args.out, args.contact, args.keep_days, not args.no_recording, args.place,
                             args.sends_alerts, args.privacy, args.min_group)
    except OSError as exc:
        return error(f"cannot write the notice {args.out}: {exc.strerror or exc}")
    print(f"notice: {paths[0]} and {paths[1]}")
    return 0


def report_main(argv: Sequence[str]) -> int:
    p = Parser(prog=f"{PROG} report", description="A session report from a recorded CSV: mood "
               "over time with alert spans, emotions per minute, faces in view, the faces seen.")
    p.add_argument("csv", help="a CSV written by --record (it may still be being written)")
    p.add_argument("--out", required=True, help="report file: .html, .png or .pdf")
    args = p.parse_args(argv)
    from .errors import MonitorError
    from .report import write_report

    try:
        s = write_report(args.csv, args.out)
    except MonitorError as exc:
        return error(str(exc), exc.code)
    what = (f"{s.rows} seconds (privacy aggregate: no faces kept)" if s.aggregate
            else f"{s.frames} frames, {len(s.faces_seen)} face{'' if len(s.faces_seen) == 1 else 's'}, {s.rows} rows")
    print(f"{args.out}: {what}"
          + (f" ({s.skipped} damaged or unfinished lines skipped)" if s.skipped else ""))
    return 0


def batch_main(argv: Sequence[str]) -> int:
    p = Parser(prog=f"{PROG} batch", description="Analyse every video in a folder: a CSV (the "
               "--record columns), a stats JSON and a report per video, and a summary table.")
    p.add_argument("input", help="folder of videos (searched recursively)")
    p.add_argument("--out", required=True, help="output folder (a rerun skips the files finished there)")
    p.add_argument("--jobs", type=count_arg, default=1, help="processes on this machine (default 1)")
    p.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster at ADDRESS ('local': a Ray runtime here); "
                   "paths must be on storage the workers share")
    p.add_argument("--sample-fps", type=float, metavar="F", help="analyse F frames a second of each video")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress (bars on a terminal; one plain line per file when the output is a pipe or file)")
    options.add_arguments(p.add_argument_group("settings"), skip=options.WINDOW_ONLY)
    args = p.parse_args(argv)
    if args.sample_fps is not None and args.sample_fps <= 0:
        p.error("--sample-fps must be > 0")
    if getattr(args, "keep_days", 0):  # a setting: absent unless given
        p.error("--keep-days is the monitor's: batch keeps its outputs until you delete them")
    from .batch import run_batch
    from .errors import MonitorError

    logging.basicConfig(level=logging.ERROR)
    try:
        s = run_batch(args.input, args.out, options.from_args(args), jobs=max(1, args.jobs),
                      ray_address=args.ray, sample_fps=args.sample_fps, progress=not args.no_progress)
    except MonitorError as exc:
        return error(str(exc))
    print(f"{s['done']} analysed, {s['skipped']} skipped (done before), {len(s['failed'])} failed of {s['files']} "
          f"files; {s['video_seconds_analysed']:.0f} s of video in {s['wall_seconds']:.0f} s "
          f"({s['throughput']:.2f}x real time); summary: {Path(args.out) / 'summary.csv'}")
    for f in s["failed"]:
        print(f"  failed: {f['file']}: {f['error']}")
    return 1 if s["failed"] else 0  # a script must see that a file failed


def test_alert_main(argv: Sequence[str]) -> int:
    p = Parser(prog=f"{PROG} test-alert", description="A rehearsal: raise a TEST alert and its "
               "clear through the monitor's own alert path, to see what an alert looks like and to "
               "check that it arrives. Prints the lines the monitor prints; with the webhook's URL "
               "(--alert-webhook, --alert-webhook-file or the environment variable, as the monitor "
               "takes it), POSTs the two events (each body says \"test\": true) and waits for them. Exit 0 when "
               "delivered (or nothing to deliver), 1 when not. In the window: the Test alert button.")
    p.add_argument("--alert-webhook", metavar="URL", help="the URL the monitor posts alerts to")
    p.add_argument("--alert-webhook-file", metavar="PATH", help="read that URL from the first line of PATH (as the monitor)")
    p.add_argument("--name", default="camera", help="the monitor's --name, as the event's 'camera'")
    p.add_argument("--source", default="test-alert", help="the event's 'source' (default test-alert)")
    p.add_argument("--timeout", type=float, default=15.0, metavar="S", help="seconds to wait for delivery")
    args = p.parse_args(argv)
    from .alerts import WebhookSink, redact
    from .errors import MonitorError
    from .options import webhook_url
    from .rehearsal import rehearse
    from .settings import Settings

    try:  # the URL as the monitor reads it: the option, its file, or the environment variable
        args.alert_webhook = webhook_url(args)
        sink = WebhookSink(args.alert_webhook, args.name, warn=lambda _line: None) if args.alert_webhook else None
    except (ValueError, MonitorError) as exc:
        return error(str(exc), 2)
    for event in rehearse([sink] if sink else [], Settings(), args.source):
        print(event.text, flush=True)
    if sink is None:
        print("no webhook URL (--alert-webhook, --alert-webhook-file or the environment variable): nothing was sent")
        return 0
    sink.close(args.timeout)
    where = redact(args.alert_webhook)
    if sink.sent == 2:
        print(f"delivered to {where}: the alert and its clear, each with \"test\": true in its body")
        return 0
    answered = (sink.last_failure or "").startswith("HTTPError")  # the receiver is there and said no
    advice = "check what the receiver expects" if answered else "check the URL and that the receiver is running"
    return error(f"not delivered to {where}: {sink.sent} of 2 events arrived ({sink.failed} failed, {sink.tries} "
                 f"tries in all; the last: {sink.last_failure or 'not sent in time'}); {advice}")
