"""The `portrait-review` command: the review TUI by default, then check, serve, demo, sessions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .backends import BACKENDS, BackendError, make_backend
from .config import Config, ConfigError, config_path, load_config
from .engine.engine import EngineSettings
from .headless import CheckOutputs, check_main
from .textsafe import plain
from .urllist import ListError, UrlList, load_list

SUBCOMMANDS = ("review", "check", "serve", "demo", "sessions", "key")

DESCRIPTION = """\
Check portrait photos for LivePortrait: which image URLs pass Alibaba Cloud's
liveportrait-detect check, review the failures, export a clean list.

  portrait-review urls.txt          open the review TUI on a list
  portrait-review check urls.txt    check headless (progress on stderr)
  portrait-review demo              try it on sample photos, no key, no network
  portrait-review serve             a compatible face-detect endpoint
  portrait-review sessions          list saved reviews
  portrait-review key set           store a DashScope API key (0600)
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def _engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("checking")
    group.add_argument(
        "--backend",
        choices=BACKENDS,
        help="local: the embedded offline checker (default); dashscope: the real "
        "liveportrait-detect API (needs DASHSCOPE_API_KEY); rules: input rules only",
    )
    group.add_argument("--concurrency", type=_positive_int, help="images in flight (default 16)")
    group.add_argument("--rate", type=_positive_float, help="at most R requests per second")
    group.add_argument("--timeout", type=_positive_float, help="seconds for one image (default 30)")
    group.add_argument("--processes", type=_positive_int, help="CPU worker processes")
    api = parser.add_argument_group("DashScope backend")
    api.add_argument(
        "--endpoint", help="API base URL (default: $DASHSCOPE_HTTP_BASE_URL or Beijing)"
    )
    api.add_argument(
        "--precheck",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="apply the input rules locally first so a rejected file costs no call",
    )
    api.add_argument("--max-images", type=_positive_int, help="stop before billing more images")
    session = parser.add_argument_group("sessions")
    session.add_argument("--session", help="name of the saved session (default: from the list)")
    session.add_argument("--fresh", action="store_true", help="start the list over")
    session.add_argument("--no-cache", action="store_true", help="do not reuse cached verdicts")
    session.add_argument("--retry-errors", action="store_true", help="re-check error rows")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portrait-review",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Config file: {config_path()}",
    )
    parser.add_argument("--version", action="version", version=f"portrait-review {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    review = sub.add_parser("review", help="open the review TUI on a list (the default)")
    review.add_argument("list", help="a file of URLs (txt, csv, tsv, jsonl) or - for stdin")
    review.add_argument(
        "--image-protocol",
        choices=("auto", "sixel", "tgp", "halfcell", "unicode", "none"),
        help="how to draw previews (default: detect the terminal)",
    )
    _engine_options(review)

    check = sub.add_parser("check", help="check a list headless; progress and summary on stderr")
    check.add_argument("list", help="a file of URLs (txt, csv, tsv, jsonl) or - for stdin")
    check.add_argument(
        "--jsonl", type=Path, metavar="OUT", help="write the full report as JSONL (- for stdout)"
    )
    check.add_argument(
        "--csv", type=Path, metavar="OUT", help="write the full report as CSV (- for stdout)"
    )
    check.add_argument(
        "--passing", type=Path, metavar="OUT", help="write passing URLs, one a line (- for stdout)"
    )
    _engine_options(check)

    serve = sub.add_parser("serve", help="serve a liveportrait-detect compatible endpoint")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--api-key",
        help="require this Bearer key (or set $PORTRAIT_REVIEW_SERVE_API_KEY, "
        "which keeps it out of `ps`); default: no key needed",
    )
    serve.add_argument(
        "--allow-private",
        action="store_true",
        help="allow fetching private, loopback and link-local addresses",
    )
    serve.add_argument("--concurrency", type=_positive_int)
    serve.add_argument("--timeout", type=_positive_float)

    demo = sub.add_parser("demo", help="open the TUI on sample photos served from loopback")
    demo.add_argument("--check", action="store_true", help="run the demo headless instead")

    key = sub.add_parser(
        "key", help="`key set` stores a DashScope API key in the config file (mode 0600)"
    )
    key.add_argument("action", choices=("set",))
    sessions = sub.add_parser("sessions", help="list saved sessions; `sessions rm NAME` deletes")
    sessions.add_argument("action", nargs="?", choices=("list", "rm"), default="list")
    sessions.add_argument("name", nargs="?")
    return parser


def normalize_argv(argv: Sequence[str]) -> list[str]:
    """`portrait-review urls.txt` means `portrait-review review urls.txt`."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg in ("-h", "--help", "--version"):
            return args
        if arg == "-" or not arg.startswith("-"):
            if arg not in SUBCOMMANDS:
                args.insert(i, "review")
            return args
    return args


def engine_settings(args: argparse.Namespace, config: Config, backend: str) -> EngineSettings:
    rate = getattr(args, "rate", None) or config.rate
    if rate is None and backend == "dashscope":
        rate = config.dashscope_rate
    return EngineSettings(
        concurrency=getattr(args, "concurrency", None) or config.concurrency,
        rate=rate,
        timeout=getattr(args, "timeout", None) or config.timeout,
        processes=getattr(args, "processes", None) or config.processes,
    )


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(f"portrait-review: {plain(message)}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(normalize_argv(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help()
        return 0
    try:
        config = load_config()
    except ConfigError as exc:
        return _fail(str(exc))
    if args.command in ("check", "review"):
        return _run_list(args, config)
    if args.command == "serve":
        from .serve import serve_main

        return serve_main(args, config)
    if args.command == "demo":
        from .demo import demo_main

        return demo_main(args, config)
    if args.command == "key":
        return _set_key()
    from .sessions import sessions_main

    return sessions_main(args, config)


def _set_key() -> int:
    """Read the key without echoing it (or from a pipe) and store it; never print it."""
    import getpass

    from .keystore import KeyStoreError, save_api_key

    if sys.stdin.isatty():
        key = getpass.getpass("DashScope API key (not shown): ")
    else:
        key = sys.stdin.readline()
    try:
        path = save_api_key(key)
    except KeyStoreError as exc:
        return _fail(str(exc))
    sys.stderr.write(f"saved the key to {path} (mode 0600); DASHSCOPE_API_KEY still wins\n")
    return 0


def attach_terminal() -> str | None:
    """The TUI reads keys from stdin: after a piped list, read them from the terminal.

    Returns why the TUI cannot run here, or None when it can.
    """
    if not sys.stdout.isatty():
        return "the review TUI needs a terminal; `portrait-review check` runs headless"
    if sys.stdin.isatty():
        return None
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return "the list came on stdin and no terminal is left for keys; use `check -`"
    os.dup2(tty, 0)
    os.close(tty)
    return None


def _run_list(args: argparse.Namespace, config: Config) -> int:
    try:
        urllist: UrlList = load_list(args.list)
    except ListError as exc:
        return _fail(str(exc))
    if args.command == "review":
        problem = attach_terminal()
        if problem is not None:
            return _fail(problem)
    name = args.backend or config.backend
    options: dict[str, object] = {}
    if name == "dashscope":
        options = {
            "endpoint": args.endpoint,
            "precheck": args.precheck,
            "max_images": args.max_images,
        }
    try:
        backend = make_backend(name, config, **options)
    except BackendError as exc:
        return _fail(str(exc))
    settings = engine_settings(args, config, name)
    from .sessions import SessionError, open_review

    try:
        store, session = open_review(urllist, args, backend, config)
    except SessionError as exc:
        return _fail(str(exc))
    try:
        if args.command == "review":
            from .app import run_app

            code = run_app(urllist, store, backend, settings, config, args)
        else:
            outputs = CheckOutputs(jsonl=args.jsonl, csv=args.csv, passing=args.passing)
            code = check_main(urllist, store, backend, settings, outputs)
    except SessionError as exc:
        code = _fail(f"{exc}; run the same command again to resume")
    finally:
        problem = session.close()
    return _fail(problem) if problem else code


if __name__ == "__main__":
    raise SystemExit(main())
