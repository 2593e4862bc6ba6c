"""``dockscope`` and its headless commands. Imports stay lazy: ``doctor`` and
``layers`` never load textual."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from dockscope import __version__, heap, timeline

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

#: Headless commands: name -> (module, add-arguments function, run function, help).
COMMANDS: dict[str, tuple[str, str, str, str]] = {
    "layers": ("dockscope.layers.cli", "add_layers_arguments", "run_layers", "analyse an image's layers and wasted space"),
    "diff": ("dockscope.layers.cli", "add_diff_arguments", "run_diff", "compare two images layer by layer and file by file"),
    "doctor": ("dockscope.probes.doctor", "add_doctor_arguments", "run_doctor", "run every probe headless and report findings"),
}


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that choose and reach the daemon (shared by every command)."""
    group = parser.add_argument_group("daemon")
    group.add_argument("-H", "--host", help="daemon URL (unix://, tcp://, ssh://); overrides DOCKER_HOST and contexts")
    group.add_argument("--context", help="docker context to use (see: docker context ls)")
    group.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="per-request timeout (default: 5)")


def build_parser(load: set[str] | None = None) -> argparse.ArgumentParser:
    """The parser; ``load`` names the commands whose modules are imported for their options.

    Importing every command's module costs half a second before the dashboard
    can start, so :func:`main` loads only the commands named on the command
    line (``None``: all of them).
    """
    parser = argparse.ArgumentParser(
        prog="dockscope",
        description="A terminal dashboard that shows a Docker host as it is and tells you what is wrong with it.",
        epilog="Without a command, opens the dashboard. The daemon is chosen like the docker CLI: "
        "--host, --context, DOCKER_HOST, DOCKER_CONTEXT, the current context, the default socket.",
    )
    parser.add_argument("--version", action="version", version=f"dockscope {__version__}")
    add_connection_arguments(parser)
    parser.add_argument("--read-only", action="store_true", help="never change anything: every action is hidden and disabled")
    parser.add_argument("--daemon-log", metavar="PATH", help="read the daemon's own log from this file")
    parser.add_argument(
        "--pane", default="map", choices=("map", "containers", "images", "networks", "volumes", "daemon_logs"),
        help="pane to open first (default: map)",
    )
    parser.add_argument("--no-events", action="store_true", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, add_arguments, _run, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        add_connection_arguments(sub)
        if load is None or name in load:
            _load(module, add_arguments)(sub)
    return parser


def _load(module: str, attribute: str) -> Callable:
    return getattr(importlib.import_module(module), attribute)


def _try_connect(args: argparse.Namespace):
    """(endpoint, client), or the error that prevented it."""
    from dockscope.engine.connect import ConnectError, open_client
    from dockscope.engine.endpoint import EndpointError, resolve_endpoint

    try:
        endpoint = resolve_endpoint(host=args.host, context=args.context, env=os.environ)
        return endpoint, open_client(endpoint, timeout=args.timeout)
    except (EndpointError, ConnectError) as error:
        return error


def _connected_or_exit(result):
    if isinstance(result, Exception):
        print(f"dockscope: {result}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    return result


def connect(args: argparse.Namespace):
    """Choose the endpoint and connect; exit 2 with a clear message when that fails."""
    return _connected_or_exit(_try_connect(args))


def _connect_and_poll(args: argparse.Namespace):
    """Connect and take a first snapshot: (endpoint, session, snapshot or None), or the connect error."""
    connected = _try_connect(args)
    if isinstance(connected, Exception):
        return connected
    from dockscope.engine.session import HostSession

    endpoint, client = connected
    session = HostSession(endpoint, client)
    try:
        snapshot = session.poll()
    except Exception:  # the app's own poll says what went wrong
        snapshot = None
    timeline.mark("first poll done")
    return endpoint, session, snapshot


def run_app(args: argparse.Namespace) -> int:
    # Connecting and the first poll side by side with importing Textual (in a child
    # process where fork exists: see dockscope.startup): the list is drawn on the
    # first frame (benchmarks/results/first_list.md).
    from dockscope.startup import begin_first_poll

    opened = begin_first_poll(args, _connect_and_poll)
    from dockscope.app import DockscopeApp

    timeline.mark("imports done")
    _endpoint, session, snapshot = _connected_or_exit(opened())
    timeline.mark("first snapshot received")
    app = DockscopeApp(
        session,
        read_only=args.read_only,
        daemon_log=args.daemon_log,
        start_pane=args.pane,
        events=not args.no_events,
        first_snapshot=snapshot,
    )
    timeline.mark("app constructed")
    result = app.run()
    if app.return_code:  # a crash: Textual printed the traceback after restoring the terminal
        return app.return_code
    return result or 0


def main(argv: Sequence[str] | None = None) -> int:
    timeline.mark("main")
    heap.tune_collector()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(load={word for word in argv if word in COMMANDS})
    args = parser.parse_args(argv)
    if args.command is None:
        return run_app(args)
    module, _add, run, _help = COMMANDS[args.command]
    _endpoint, client = connect(args)
    try:
        return int(_load(module, run)(client, args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
