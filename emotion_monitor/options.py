"""The command line's edge: the settings model's fields as argparse options, and a parsed command line read
back into typed records (:class:`~emotion_monitor.settings.Settings`, :class:`~emotion_monitor.types.Outputs`)
before anything below the CLI and the window's entry sees it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any

from . import settings as settings_model
from .settings import Settings
from .types import CaptureOptions, Outputs


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


WINDOW_ONLY = ("blur_screen", "blur_snapshots")  # settings only the window acts on (batch --help leaves them out)


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup, skip: tuple[str, ...] = ()) -> None:
    """One option a setting (but those in ``skip``), with its help, default and range; values are checked as
    they are parsed."""
    for f in (f for f in fields(Settings) if f.name not in skip):
        m, kind = f.metadata, settings_model.field_kind(f)
        if kind is settings_model.yes_no:
            parser.add_argument(flag(f.name), dest=f.name, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=f"{m['help']} (default {'on' if f.default else 'off'})")
            continue

        def parse(text: str, name: str = f.name, kind: Callable[[Any], Any] = kind) -> Any:
            try:
                value = kind(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"not a{'n' if kind is int else ''} {kind.__name__}: {text!r}") from None
            try:
                settings_model.check(name, value)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
            return value

        extra = f" (default {f.default!r}{' ' + m['unit'] if m['unit'] else ''})" if f.default != "" else ""
        metavar = m["metavar"] or ("{" + ",".join(m["choices"]) + "}" if m["choices"] else
                                   m["unit"].upper() or kind.__name__.upper())
        parser.add_argument(flag(f.name), dest=f.name, type=parse, default=argparse.SUPPRESS, metavar=metavar,
                            help=m["help"] + extra)


def from_args(args: argparse.Namespace, base: Settings | None = None) -> Settings:
    """Settings from parsed options; options not given keep ``base``'s values (the defaults)."""
    given = {f.name: getattr(args, f.name) for f in fields(Settings) if hasattr(args, f.name)}
    return replace(base or Settings(), **given)


def capture_from(args: argparse.Namespace) -> CaptureOptions:
    """How the command line asks its sources to be read (a subcommand's missing options: the defaults);
    ``--demo`` loops the demo clip for :data:`~emotion_monitor.build.DEMO_FRAMES` frames unless told
    (``--max-frames``, or ``--loop``: until stopped)."""
    demo = bool(getattr(args, "demo", False))  # the demo clip loops (it walks forwards, then backwards)
    max_frames = getattr(args, "max_frames", None)
    length_of = ""
    if demo and max_frames is None and not getattr(args, "loop", False):
        from .build import DEMO_FRAMES

        max_frames, length_of = DEMO_FRAMES, "the demo"
    return CaptureOptions(realtime=bool(getattr(args, "realtime", False)), max_frames=max_frames,
                          loop=demo or bool(getattr(args, "loop", False)), length_of=length_of)


WEBHOOK_ENV = "EMOTION_MONITOR_WEBHOOK"  # the webhook's URL, kept out of the process list (ps shows arguments)


def webhook_url(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> str | None:
    """The alert webhook's URL: ``--alert-webhook URL``, or the first line of ``--alert-webhook-file PATH``, or
    the environment variable :data:`WEBHOOK_ENV` (the last two keep its secret out of ``ps``); None without any.
    MonitorError (one line, never quoting the URL) when two are given, the file cannot be read or the URL is
    not one to send to (alerts.check_url: a space or control character, no host)."""
    from .alerts import check_url
    from .errors import MonitorError

    given, path = getattr(args, "alert_webhook", None), getattr(args, "alert_webhook_file", None)
    if given and path:
        raise MonitorError("give the webhook's URL once: --alert-webhook or --alert-webhook-file")
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                given = fh.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise MonitorError(f"cannot read the webhook URL from {path}: {getattr(exc, 'strerror', None) or exc}") from None
        if not given:
            raise MonitorError(f"{path} holds no webhook URL on its first line")
    url = given or environ.get(WEBHOOK_ENV) or None
    try:
        return check_url(url) if url else None
    except ValueError as exc:
        raise MonitorError(str(exc)) from None


def outputs_from(args: argparse.Namespace) -> Outputs:
    """The run's outputs a parsed command line asks for (options a subcommand lacks: none)."""
    return Outputs(record=getattr(args, "record", None), overwrite=bool(getattr(args, "overwrite", False)),
                   name=getattr(args, "name", "camera"),
                   metrics_port=getattr(args, "metrics_port", None),
                   metrics_host=getattr(args, "metrics_host", "127.0.0.1"),
                   alert_webhook=getattr(args, "alert_webhook", None))
