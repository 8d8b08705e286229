"""emotion-monitor: headless monitor (--camera / --video), the desktop window with no source, or
``emotion-monitor report session.csv --out report.html``, or ``emotion-monitor batch DIR --out OUT``.

Every setting's option comes from the settings model (settings.py); the options below it are about
this run only (its source, recording, when to stop).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import options
from .commands import PROG, Parser, batch_main, error, notice_main, positive_arg, report_main, test_alert_main, warn
from .commands import count_arg as _count


def _port(text: str) -> int:
    """A TCP port, 0..65535 (0: any free one): a larger one is refused here in one line, not by a traceback from bind()."""
    port = _count(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, not {port}")
    return port

if TYPE_CHECKING:
    from .sources import SourceSpec
    from .types import RunSummary

# run options the window cannot honour, and why
NOT_IN_WINDOW = {"stats_json": "the window writes no run summary",
                 "overwrite": "the window appends to the CSV it records", "max_frames": "the window plays until closed",
                 "quiet": "the window prints no status lines", "people_csv": "the window writes no per-person file"}


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description="Watch faces on a camera or video, tell their emotion, and alert "
               "when the group's mood turns negative.\nWith no source, opens the window.",
               usage=f"{PROG} [options]\n       {PROG} report CSV --out FILE\n       {PROG} batch FOLDER --out DIR\n"
               f"       {PROG} notice --contact WHO\n       {PROG} test-alert [--alert-webhook URL]",
               epilog=f"subcommands:\n  {PROG} report CSV --out FILE   a session report (.html, .png or "
               f".pdf) from a CSV written by --record\n  {PROG} batch FOLDER --out DIR  every video "
               f"in a folder: a CSV, stats and a report each, and a summary\n  {PROG} notice --contact WHO     a "
               f"printable sign for the people in view (PDF and PNG)\n  {PROG} test-alert [--alert-webhook URL]  a "
               f"TEST alert through the real path (a rehearsal; checks the webhook)\n"
               f"Each subcommand's --help says more.",
               formatter_class=argparse.RawDescriptionHelpFormatter)
    from . import __version__

    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    run = p.add_argument_group("this run")
    run.add_argument("--camera", type=_count, metavar="N", action="append",
                     help="camera index (0 is the default camera); repeat it to watch several cameras")
    run.add_argument("--video", metavar="PATH", action="append", help="video file; repeat it for several")
    run.add_argument("--sources", metavar="FILE.toml", help="several sources, each with a name (a [[source]] table "
                     "with name and camera or video); instead of --camera/--video")
    run.add_argument("--demo", action="store_true", help="the bundled demo clip")
    run.add_argument("--gui", action="store_true", help="open the window on the given source")
    run.add_argument("--record", metavar="FILE.csv", help="append one row per face per frame to this CSV (several "
                     "sources: one CSV, the column 'source' names each row's)")
    run.add_argument("--overwrite", action="store_true",
                     help="with --record: replace the CSV instead of appending to it (appending says so in a warning)")
    run.add_argument("--stats-json", metavar="FILE", help="write a run summary (frames, faces, fps, stage timings)")
    run.add_argument("--people-csv", metavar="FILE.csv", help="at the end, write one row a person: when they were in "
                     "view, the queue zone they waited in and for how long, their mood (not at --privacy aggregate)")
    run.add_argument("--max-frames", type=positive_arg, metavar="N", help="stop after N frames")
    run.add_argument("--loop", action="store_true", help="play a video file again from its start when it ends "
                                                         "(stop with Ctrl+C or --max-frames; --demo too, which "
                                                         "otherwise ends after its own length)")
    run.add_argument("--realtime", action="store_true", help="play a video file at its own fps, dropping frames "
                     "when processing is slower (default: process every frame; the window always plays in real time)")
    run.add_argument("--quiet", action="store_true", help="no status lines (alerts and errors still print)")
    out = p.add_argument_group("fleet (monitoring many cameras)")
    out.add_argument("--name", default="camera", help="this monitor's name in metrics and alert events (label "
                     "'camera'; each source's name is the label 'source')")
    out.add_argument("--metrics-port", type=_port, metavar="PORT",
                     help="serve Prometheus metrics on http://HOST:PORT/metrics (0: any free port)")
    out.add_argument("--metrics-host", default="127.0.0.1", metavar="HOST",
                     help="address the metrics endpoint binds to (default 127.0.0.1: this machine only)")
    out.add_argument("--alert-webhook", metavar="URL", help="POST a JSON event to this URL when an alert starts "
                     "and when it clears (any local user sees it in the process list: prefer the next option or the "
                     f"environment variable {options.WEBHOOK_ENV})")
    out.add_argument("--alert-webhook-file", metavar="PATH", help="read the webhook's URL from this file's first line")
    options.add_arguments(p.add_argument_group("settings (the window keeps its own between runs)"))
    return p


def _stop_on_signals() -> tuple[dict[str, bool], Any]:
    """Ctrl+C and SIGTERM set ``stopping["sig"]`` (the run ends cleanly, its CSV closed); returns it and
    the SIGINT handler to restore."""
    stopping = {"sig": False}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["sig"] = True

    old = signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, on_signal)
    return stopping, old


def run_headless(args: argparse.Namespace, specs: list[SourceSpec]) -> int:
    """Run ``specs`` (one source, or several in one monitor) with no window: alert lines as they come, a
    status line a second (several sources: one for all lanes), a lane's fault in one line, a summary at
    the end. Several sources search at 640 px unless told otherwise (runner.MULTI_DEFAULTS)."""
    from .app import DEMO_CLIP, open_sources
    from .errors import MonitorError
    from .people import write_people_csv
    from .privacy import check_writable, keeps_ids
    from .runner import MULTI_DEFAULTS
    from .sources import SourceSpec

    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: warning: %(message)s")
    several = len(specs) > 1 or bool(args.sources)
    settings = options.from_args(args, MULTI_DEFAULTS if several else None)
    if not specs:  # --demo
        specs = [SourceSpec(str(DEMO_CLIP), video=str(DEMO_CLIP))]
    stopping, old = _stop_on_signals()
    def say(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    runner: Any = None
    try:
        for path in (args.stats_json, args.people_csv):
            if path:
                check_writable(Path(path))
        if args.people_csv and not keeps_ids(settings.privacy):
            return error(f"--people-csv lists people; --privacy {settings.privacy} keeps none")
        runner = open_sources(settings, specs, options.outputs_from(args), warn, named=several,
                              on_event=lambda e: print(e.text, flush=True), on_status=say,
                              capture_options=options.capture_from(args), retain=(args.stats_json, args.people_csv))
        _say_opened(runner, args.metrics_host, say)
        summary = runner.run(lambda: stopping["sig"])
        if stopping["sig"]:  # counted as the window's closing line counts it (Lane.end_line)
            say(runner.lanes[0].end_line("stopped") if not several else "stopped")
        if args.stats_json:
            _write_json(Path(args.stats_json), summary)
        if args.people_csv:
            rows = write_people_csv(args.people_csv, {lane.name: lane.people.summary() for lane in runner.lanes})
            say(f"people: {rows} rows in {args.people_csv}")
        if not several:
            say(done_line(summary))
            return 0
        for name, lane in summary["sources"].items():
            lost = lost_frames(lane)
            say(f"{name}: {lane['frames']} frames{'; ' + lost if lost else ''}; {lane['state']}")
        say(f"done: {summary['frames']} frames of {len(specs)} sources in {summary['seconds']:.1f} s")
        return 1 if all(lane["state"] == "failed" for lane in summary["sources"].values()) else 0
    except MonitorError as exc:
        return error(str(exc), exc.code)
    finally:
        signal.signal(signal.SIGINT, old)
        if runner is not None:
            runner.close()


def _say_opened(runner: Any, metrics_host: str, say: Callable[[str], None]) -> None:
    """What a headless run opened: the metrics endpoint, each source's size and rate, the detector and model."""
    for sink in runner.sinks:
        if hasattr(sink, "port"):
            say(f"metrics: http://{metrics_host}:{sink.port}/metrics")
    model = f"detector {runner.settings.detector}, model {runner.classifier.name}"
    for lane in runner.lanes:
        if lane.capture is not None:
            info = lane.capture.info
            say(f"{lane.name + ': ' if runner.named else ''}{info.kind} {info.name}: {info.width}x{info.height} at "
                f"{info.fps:.0f} fps{'' if runner.named else '; ' + model}")
    if runner.named:
        say(f"{len(runner.lanes)} sources; {model}")


def lost_frames(summary: RunSummary) -> str:
    """The frames a source lost, in words ("" when none): dropped to keep up with the clock
    (``--realtime``, a camera) or skipped as unreadable. A source's status line shows the clip's own
    frame number; these counts are why it may run ahead of the frames processed."""
    counts = ((summary["dropped_frames"], "dropped to keep up"), (summary["skipped_frames"], "skipped as unreadable"))
    return ", ".join(f"{n} frame{'' if n == 1 else 's'} {what}" for n, what in counts if n)


def done_line(summary: RunSummary) -> str:
    """The one-source closing line: frames, time, rate, faces and the frames lost (:func:`lost_frames`)."""
    lost = lost_frames(summary)
    return (f"done: {summary['frames']} frames in {summary['seconds']:.1f} s ({summary['fps']} fps), "
            f"{float(summary['mean_faces']):.1f} faces found a frame on average{'; ' + lost if lost else ''}")


def sources_of(args: argparse.Namespace) -> list[SourceSpec]:
    """The sources the options name; UsageError (one line, exit 2) when they conflict."""
    from .errors import UsageError
    from .sources import load_sources, sources_from_args

    if args.sources:
        if args.camera or args.video or args.demo:
            raise UsageError("--sources names every source; give it without --camera, --video or --demo")
        return load_sources(args.sources)
    if args.demo and (args.camera or args.video):
        raise UsageError("--demo plays the bundled clip alone; give it without --camera or --video")
    return sources_from_args(args.camera or (), args.video or ())


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    from .errors import RecordingError
    from .privacy import why_not, write_private

    try:
        write_private(path, json.dumps(data, indent=1) + "\n")  # owner only: it lists the people seen
    except OSError as exc:
        raise RecordingError(f"cannot write {path}: {why_not(exc)}") from exc


def run_gui(args: argparse.Namespace, specs: Sequence[SourceSpec] = ()) -> int:
    from .errors import MonitorError

    refused = [f"--{k.replace('_', '-')} ({why})" for k, why in NOT_IN_WINDOW.items() if getattr(args, k)]
    if refused:
        return error(f"the window does not take {', '.join(refused)}; run headless with --camera N, --video FILE "
                     "or --demo", 2)
    if getattr(args, "record", None):  # a file that cannot be written is refused before the window opens, as headless
        from .recording import CsvRecorder

        new = not Path(args.record).exists()
        try:
            CsvRecorder(args.record).close()
        except MonitorError as exc:
            return error(str(exc))
        if new:  # tried, not started: the recording creates it when the source opens
            Path(args.record).unlink(missing_ok=True)
    try:
        from .gui.binding import check_binding, check_display
    except ImportError as exc:
        return error(f"the desktop window is not available ({exc}); run headless with --camera N, --video FILE or --demo", 2)
    try:
        from .gui.main import run as gui_run  # the missing [gui] extra first; importing loads no Qt platform
        check_display()  # before Qt loads its platform plugin: without a display it aborts the process
    except ImportError as exc:
        from .errors import GUI_PACKAGES, extra_needed

        if (exc.name or "").split(".")[0] in GUI_PACKAGES:
            return error(f"{extra_needed('the window', 'gui', exc)}; or run headless with --camera N, --video FILE or "
                         "--demo", 2)
        return error(f"the desktop window is not available ({exc}); run headless with --camera N, --video FILE or --demo", 2)
    except MonitorError as exc:
        return error(str(exc), 2)
    try:
        check_binding()
    except MonitorError as exc:
        return error(str(exc))
    return gui_run(args, list(specs))


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from .native import quiet_native_logs

    quiet_native_logs()  # the command owns its process: native loggers quiet for good (a library call restores them)
    if argv[:1] == ["report"]:
        return report_main(argv[1:])
    if argv[:1] == ["batch"]:
        return batch_main(argv[1:])
    if argv[:1] == ["notice"]:
        return notice_main(argv[1:])
    if argv[:1] == ["test-alert"]:
        return test_alert_main(argv[1:])
    args = build_parser().parse_args(argv)
    from .errors import MonitorError, UsageError

    try:
        specs = sources_of(args)
        if args.alert_webhook:  # its secret path sits in the process list (ps) while the monitor runs
            print(f"{PROG}: warning: --alert-webhook shows the URL to every local user (ps); "
                  f"--alert-webhook-file PATH or {options.WEBHOOK_ENV} keep it out", file=sys.stderr)
        args.alert_webhook = options.webhook_url(args)  # refused here, before anything opens, in one line
        if getattr(args, "privacy", None) == "aggregate" and getattr(args, "blur_snapshots", True) is False:
            raise UsageError("--no-blur-snapshots is refused at --privacy aggregate: no image of a face is kept there")
    except MonitorError as exc:
        return error(str(exc), exc.code)
    if args.gui or (not specs and not args.demo):
        return run_gui(args, specs)
    try:
        return run_headless(args, specs)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
