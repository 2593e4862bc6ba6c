"""Headless ``dockscope layers`` and ``dockscope diff``.

The main CLI adds the arguments with :func:`add_layers_arguments` /
:func:`add_diff_arguments` and calls :func:`run_layers` / :func:`run_diff`
with a ``docker.APIClient``; connection errors are left to it.

Exit codes: 0 fine, 1 a CI threshold failed, 2 usage error or unknown image.
"""

from __future__ import annotations

import argparse
import json
import sys

from dockscope.layers.diff import diff_images
from dockscope.layers.model import ImageAnalysis
from dockscope.layers.report import analysis_json, analysis_text, diff_json, diff_text, safe
from dockscope.layers.sizes import format_size, parse_size
from dockscope.layers.source import SOURCES, LayersError, Progress, analyze_image, local_images

#: ``--ci`` alone checks this efficiency.
DEFAULT_MIN_EFFICIENCY = 0.9


def _size_argument(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _ratio_argument(text: str) -> float:
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a ratio: {text!r} (try 0.9 or 90%)") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1")
    return value


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="where to read layers: overlay2 directories of a local daemon, the save stream, or auto (default)",
    )


def add_layers_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``dockscope layers``."""
    parser.add_argument("image", metavar="IMAGE", help="image tag, id or digest")
    parser.add_argument("--json", action="store_true", help="print a JSON document instead of text")
    parser.add_argument("--ci", action="store_true", help="exit 1 when a threshold below fails")
    parser.add_argument(
        "--min-efficiency",
        type=_ratio_argument,
        metavar="RATIO",
        help=f"with --ci: lowest efficiency allowed, 0-1 or a percentage (default {DEFAULT_MIN_EFFICIENCY} "
        "when no threshold is given)",
    )
    parser.add_argument(
        "--max-wasted", type=_size_argument, metavar="SIZE", help="with --ci: most wasted bytes allowed (20MB, 1.5GiB)"
    )
    parser.add_argument(
        "--exclude-base",
        action="store_true",
        help="with --ci: judge only the layers above the base image",
    )
    parser.add_argument("--top", type=int, default=10, metavar="N", help="wasted files to list (default 10)")
    parser.add_argument(
        "--files", action="store_true", help="with --json: every path each layer adds, modifies or removes"
    )
    _add_source(parser)


def add_diff_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``dockscope diff``."""
    parser.add_argument("image_a", metavar="IMAGE_A", help="the image before")
    parser.add_argument("image_b", metavar="IMAGE_B", help="the image after")
    parser.add_argument("--json", action="store_true", help="print a JSON document instead of text")
    parser.add_argument("--limit", type=int, default=30, metavar="N", help="file differences to list (default 30)")
    _add_source(parser)


def ci_failures(analysis: ImageAnalysis, min_efficiency: float | None, max_wasted: int | None, exclude_base: bool) -> list[str]:
    """Reasons the image fails the thresholds (empty: it passes)."""
    measured = analysis.own_efficiency if exclude_base else analysis.efficiency
    scope = " (above the base image)" if exclude_base else ""
    reasons = []
    if min_efficiency is not None and measured.score < min_efficiency:
        reasons.append(f"efficiency{scope} {measured.score:.2%} is below {min_efficiency:.2%}")
    if max_wasted is not None and measured.wasted_bytes > max_wasted:
        reasons.append(
            f"wasted space{scope} {format_size(measured.wasted_bytes)} is above {format_size(max_wasted)}"
        )
    return reasons


def _progress_printer():
    """A progress callback writing one updating line to stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(progress: Progress) -> None:
        share = f"{progress.done / progress.total:4.0%}" if progress.total else format_size(progress.done)
        end = "\n" if progress.total and progress.done >= progress.total else ""
        print(f"\r{progress.stage}: {share}", end=end, file=sys.stderr, flush=True)

    return show


def _error(message: str) -> int:
    print(f"dockscope: {safe(message)}", file=sys.stderr)
    return 2


def run_layers(client, args: argparse.Namespace) -> int:
    """Run ``dockscope layers``; returns the exit code."""
    thresholds = args.min_efficiency is not None or args.max_wasted is not None
    if (thresholds or args.exclude_base) and not args.ci:
        return _error("--min-efficiency, --max-wasted and --exclude-base need --ci")
    if args.files and not args.json:
        return _error("--files needs --json")
    try:
        analysis = analyze_image(client, args.image, source=args.source, progress=_progress_printer())
    except LayersError as error:
        return _error(str(error))
    min_efficiency = args.min_efficiency
    if args.ci and not thresholds:
        min_efficiency = DEFAULT_MIN_EFFICIENCY
    reasons = ci_failures(analysis, min_efficiency, args.max_wasted, args.exclude_base) if args.ci else []
    if args.json:
        document = analysis_json(analysis, top=args.top, files=args.files)
        if args.ci:
            document["ci"] = {"passed": not reasons, "reasons": reasons}
        print(json.dumps(document, indent=2))
    else:
        print("\n".join(analysis_text(analysis, top=args.top)))
        if args.ci:
            print()
            print("CI: FAIL" if reasons else "CI: PASS")
            for reason in reasons:
                print(f"  - {safe(reason)}")
    return 1 if reasons else 0


def run_diff(client, args: argparse.Namespace) -> int:
    """Run ``dockscope diff``; returns the exit code."""
    try:
        others = local_images(client)
        a = analyze_image(client, args.image_a, source=args.source, others=others, progress=_progress_printer())
        b = analyze_image(client, args.image_b, source=args.source, others=others, progress=_progress_printer())
    except LayersError as error:
        return _error(str(error))
    diff = diff_images(a, b)
    if args.json:
        print(json.dumps(diff_json(diff), indent=2))
    else:
        print("\n".join(diff_text(diff, limit=args.limit)))
    return 0
