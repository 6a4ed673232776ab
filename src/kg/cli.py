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


def _cmd_goldens(args: argparse.Namespace, settings: Settings) -> int:
    from . import catalog

    nq = settings.dist_dir / "dataset.nq"
    if not nq.is_file():
        print(f"kg goldens: {nq} is missing: run `kg build` first", file=sys.stderr)
        return 2
    try:
        queries = catalog.load_catalog(settings.root)
    except catalog.CatalogError as err:
        print(f"kg goldens: {err}", file=sys.stderr)
        return 2
    chosen = [q for q in queries if not args.names or q.name in args.names or q.path.name in args.names]
    unknown = set(args.names) - {q.name for q in chosen} - {q.path.name for q in chosen}
    if unknown:
        print(f"kg goldens: no such query: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    changed = catalog.write_goldens(settings.root, chosen, catalog.open_store(nq))
    readme, page = catalog.readme_path(settings.root), catalog.render_readme(queries)
    if not readme.is_file() or readme.read_text(encoding="utf-8") != page:
        readme.write_text(page, encoding="utf-8")
        changed.append(readme)
    for path in changed:
        print(f"wrote {path.relative_to(settings.root)}")
    for path in catalog.orphan_goldens(settings.root, queries):
        print(f"kg goldens: {path.relative_to(settings.root)} belongs to no query; remove it", file=sys.stderr)
    print(f"kg goldens: {len(chosen)} queries run against {nq}, {len(changed)} files changed")
    return 0


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

    p = sub.add_parser("goldens", help="rewrite tests/golden/queries/*.srj and queries/README.md from the build")
    p.add_argument("names", nargs="*", help="only these queries (NN-name or NN-name.rq; default: all)")
    p.set_defaults(func=_cmd_goldens)

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
