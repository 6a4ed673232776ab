"""The one `kg` command: thin wrappers that parse arguments, call the library and format output."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from .config import GRANIAN_TARGET_BYTES, ConfigError, Settings, http_server_setting, processes_setting

PASSWORD_ENV = "KG_PUBLISH_PASSWORD"  # kg publish --user: the password, kept off the command line


def _cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from .build.pipeline import BuildError, build

    try:
        result = build(settings)
    except BuildError as err:
        print(f"kg build: failed, dist/ left unchanged\n{err}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from .validation.run import cli_validate

    return cli_validate(settings, args.files, args.format, args.shapes, args.fail_on)


def _cmd_goldens(args: argparse.Namespace, settings: Settings) -> int:
    from . import catalog

    try:
        queries = catalog.load_catalog(settings.root)
        store = catalog.open_build(settings.dist_dir)
    except catalog.CatalogError as err:
        print(f"kg goldens: {err}", file=sys.stderr)
        return 2
    chosen = [q for q in queries if not args.names or q.name in args.names or q.path.name in args.names]
    unknown = set(args.names) - {q.name for q in chosen} - {q.path.name for q in chosen}
    if unknown:
        print(f"kg goldens: no such query: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    changed = catalog.write_goldens(settings.root, chosen, store)
    readme, page = catalog.readme_path(settings.root), catalog.render_readme(queries)
    if not readme.is_file() or readme.read_text(encoding="utf-8") != page:
        readme.write_text(page, encoding="utf-8")
        changed.append(readme)
    for path in changed:
        print(f"wrote {path.relative_to(settings.root)}")
    for path in catalog.orphan_goldens(settings.root, queries):
        print(f"kg goldens: {path.relative_to(settings.root)} belongs to no query; remove it", file=sys.stderr)
    print(f"kg goldens: {len(chosen)} queries run against {settings.dist_dir}, {len(changed)} files changed")
    return 0


# --- server side (serve, query): owned by the endpoint work; add subcommands below this line ---


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .store import StoreError, held_in_memory, read_build
    from .web.serving.client_counts import SharedCounts
    from .web.serving.served import COUNTS_ENV, STORE_ENV, make_app
    from .web.serving.server import front_end_processes, listening_socket, run_granian, server_config

    try:
        if args.processes is not None:
            settings = replace(settings, processes=processes_setting("--processes", args.processes))
        if args.http_server is not None:
            settings = replace(settings, http_server=http_server_setting("--http-server", args.http_server))
    except ConfigError as err:
        print(f"kg serve: {err}", file=sys.stderr)
        return 2
    granian = settings.http_server == "granian"
    try:
        build = read_build(settings.dist_dir)
        processes = front_end_processes(settings, build, remote=bool(args.store))
        if processes == 1 and not granian:
            app = make_app(settings, args.store, build)  # the worker pool starts and stops with the app
        else:
            make_app(settings, args.store, build, check_only=True)  # load errors surface here, naming the file
    except StoreError as err:
        print(f"kg serve: {err}", file=sys.stderr)
        return 2
    origin = settings.public_url or f"http://{args.host}:{args.port}"
    held = "each holding it in memory" if held_in_memory(build, settings) else "over the on-disk store"
    dataset = ("the build's graphs named in every query" if settings.store_dataset == "named"
               else "its default graph taken as the build's, KG_STORE_DATASET=union")
    where = f"the store at {args.store} ({dataset})" if args.store else f"{settings.workers} query workers {held}"
    if not args.store and settings.inline_rows:
        where += f" and lookups of up to {settings.inline_rows} solutions answered in process (KG_INLINE_ROWS)"
    each = f"{processes} front-end processes, each with " if processes > 1 else ""
    print(f"kg serve: build {build.version} ({build.triples} triples), {each}{where}, "
          f"{settings.query_timeout:g} s per query, HTTP by {settings.http_server}; SPARQL at {origin}/sparql",
          file=sys.stderr)
    if processes == 1 and not granian:
        uvicorn.Server(server_config(app, settings, args.host, args.port)).run()
        return 0

    # every process builds its own app (and worker pool) from the environment: the build folder as resolved
    # here, so that all of them serve the same release, the remote store if one was given, and the table in
    # which they count each client's requests together
    try:
        sock = listening_socket(args.host, args.port)
        if granian:  # it binds its own: this one only said whether the port can be had, naming it if not
            sock.close()
        table = SharedCounts.create(processes) if processes > 1 and settings.shared_counts else None
    except OSError as err:
        print(f"kg serve: {err}", file=sys.stderr)
        return 2
    os.environ["KG_DIST"] = str(build.dist)
    os.environ[STORE_ENV] = args.store or ""
    if table is not None:
        os.environ[COUNTS_ENV] = str(table)
    else:
        os.environ.pop(COUNTS_ENV, None)  # one process counts alone
    try:
        if granian:
            run_granian(settings, args.host, args.port, processes)
        else:
            from uvicorn.supervisors import Multiprocess

            config = server_config("kg.web.serving.served:app", settings, args.host, args.port, factory=True,
                                   processes=processes)
            Multiprocess(config, sockets=[sock]).run()
    finally:
        if table is not None:
            table.unlink(missing_ok=True)
    return 0


def _cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from .publish import PublishError, publish
    from .store import StoreError, read_build

    password = os.environ.get(PASSWORD_ENV)
    if args.user is not None and password is None:
        print(f"kg publish: --user {args.user} needs the password in {PASSWORD_ENV} (never on the command line)",
              file=sys.stderr)
        return 2
    try:
        build = read_build(settings.dist_dir)
        done = publish(build, args.to, user=args.user, password=password)
    except (StoreError, PublishError) as err:
        print(f"kg publish: {err}", file=sys.stderr)
        return 2
    for item in done:
        print(f"PUT <{item.graph}>: {item.triples} triples, HTTP {item.status}")
    print(f"kg publish: build {build.version}, {len(done)} graphs, {sum(i.triples for i in done)} triples to {args.to}")
    return 0


def _cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from .iris import Iris
    from .sparql.formats import NotAcceptable, negotiate
    from .sparql.guard import QueryRefused, guard
    from .sparql.engine import EngineError, Job
    from .sparql.stack import start_pool
    from .store import StoreError, read_build

    text = sys.stdin.read() if args.query == "-" else args.query
    if args.file:
        text = open(args.file, encoding="utf-8").read()
    if not text:
        print("kg query: give a query, `-` to read it from standard input, or --file", file=sys.stderr)
        return 2
    try:
        build = read_build(settings.dist_dir)
        guarded = guard(text, max_bytes=settings.max_query_bytes, max_nesting=settings.max_nesting,
                        base=build.base_iri, allowed_graphs=frozenset(Iris(build.base_iri).graph_iris()))
        graph_form = guarded.form in ("CONSTRUCT", "DESCRIBE")
        fmt = negotiate(None, ("rdf",) if graph_form else ("results",), args.format or ("turtle" if graph_form else "tsv"))
    except StoreError as err:
        print(f"kg query: {err}", file=sys.stderr)
        return 2
    except (QueryRefused, NotAcceptable) as err:
        print(f"kg query: {err}", file=sys.stderr)
        return 1
    # one query for one worker: no event loop to spare a thread hop for, so no store of its own for inline lookups
    engine, _ = start_pool(replace(settings, workers=1, inline_rows=0), build)
    try:
        answer = engine.run(Job(text, fmt.name, base_iri=build.base_iri, union_default=not guarded.declares_dataset,
                                max_rows=settings.max_rows))
    except EngineError as err:
        print(f"kg query: {err}", file=sys.stderr)
        return 1
    finally:
        engine.close()
    sys.stdout.buffer.write(answer.body)
    if answer.truncated:
        print(f"kg query: results truncated after {settings.max_rows} rows (KG_MAX_ROWS)", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build dist/ from data/ and ontology/ (validates; atomic)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("validate", help="validate the build, or your own RDF files, against the shapes")
    p.add_argument("files", nargs="*", help="Turtle, TriG, N-Triples, N-Quads or JSON-LD files (default: the build)")
    p.add_argument("--format", choices=("text", "turtle", "json"), default="text")
    p.add_argument("--shapes", help="a shapes file to use instead of ontology/shapes/")
    p.add_argument("--fail-on", choices=("violation", "warning", "info"), default="violation",
                   help="the least severe result that makes the exit code 1 (default: violation); the report "
                        "says sh:conforms false whenever there is any result, as SHACL does")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("goldens", help="rewrite tests/golden/queries/*.srj and queries/README.md from the build")
    p.add_argument("names", nargs="*", help="only these queries (NN-name or NN-name.rq; default: all)")
    p.set_defaults(func=_cmd_goldens)

    # server side subcommands (serve, query) are added here
    p = sub.add_parser("serve", help="serve the build: SPARQL endpoint and linked-data pages")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--store", metavar="URL", help="query this SPARQL 1.1 endpoint instead of the embedded store "
                   "(the build is still read for pages, dumps and the graph list's base)")
    p.add_argument("--processes", metavar="N", help="front-end processes sharing the port, each with its own "
                   "KG_WORKERS query workers and caches, counting each client's requests together: a whole "
                   "number, or auto (one per usable core, at most 2, when the workers hold the build in memory or "
                   "--store is given; else 1); default KG_PROCESSES, else auto")
    p.add_argument("--http-server", metavar="NAME", help="what speaks HTTP: granian (Rust; about twice as fast "
                   f"under load; a request target of more than {GRANIAN_TARGET_BYTES:,} bytes is answered 414: send "
                   "such a query by POST) "
                   "or uvicorn (Python; GET URLs up to the largest query, percent-encoded); default KG_HTTP_SERVER, "
                   "else granian")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("publish", help="load the build into a SPARQL store, graph by graph (Graph Store Protocol PUT)")
    p.add_argument("--to", required=True, metavar="URL", help="the store's Graph Store Protocol endpoint, "
                   "e.g. http://127.0.0.1:7878/store for Oxigraph, http://HOST:8890/sparql-graph-crud-auth for Virtuoso")
    p.add_argument("--user", metavar="NAME", help="log in as NAME (HTTP Basic or Digest, as the store asks), with "
                   f"the password in the environment variable {PASSWORD_ENV}")
    p.set_defaults(func=_cmd_publish)

    p = sub.add_parser("query", help="run one SPARQL query against the build, with the server's limits")
    p.add_argument("query", nargs="?", default="", help="the query text, or - to read standard input")
    p.add_argument("--file", "-f", help="read the query from this file")
    p.add_argument("--format", help="json, xml, csv, tsv (SELECT/ASK; default tsv) or turtle, ntriples, jsonld, "
                   "rdfxml, trig, nquads (CONSTRUCT/DESCRIBE; default turtle)")
    p.set_defaults(func=_cmd_query)
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
