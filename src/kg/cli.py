"""The one `kg` command: thin wrappers that parse arguments, call the library and format output."""

from __future__ import annotations

import argparse
import sys

from .config import ConfigError, Settings


def _cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from .build import BuildError, build

    try:
        result = build(settings)
    except BuildError as err:
        print(f"kg build: failed, dist/ left unchanged\n{err}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from .validate import cli_validate

    return cli_validate(settings, args.files, args.format, args.shapes)


# --- server side (serve, query): owned by the endpoint work; add subcommands below this line ---


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build dist/ from data/ and ontology/ (validates; atomic)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("validate", help="validate the build, or your own RDF files, against the shapes")
    p.add_argument("files", nargs="*", help="Turtle, TriG, N-Triples, N-Quads or JSON-LD files (default: the build)")
    p.add_argument("--format", choices=("text", "turtle", "json"), default="text")
    p.add_argument("--shapes", help="a shapes file to use instead of ontology/shapes/")
    p.set_defaults(func=_cmd_validate)

    # server side subcommands (serve, query) are added here
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as err:
        print(f"kg: configuration error: {err}", file=sys.stderr)
        return 2
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
