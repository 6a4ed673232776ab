"""The app ``kg serve`` serves: the build's embedded store through a worker pool, or a remote store.

``make_app`` is what ``kg serve`` calls in its own process (uvicorn, one process); ``app`` is the
factory each front-end process calls under ``kg serve --http-server uvicorn --processes N`` (uvicorn's
supervisor starts N processes on one listening socket, and each builds its own app, worker pool and caches
from the environment: ``KG_DIST`` as resolved by the parent, ``KG_SERVE_STORE``, the remote store's URL or
empty, and ``KG_ADMISSION_TABLE``, the file in which the processes count each client's requests
together); ``proxied_app`` is the same for each process granian starts (the default HTTP server, one
process or several).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ...config import Settings, http_url_problem
from ...store import BuildInfo, StoreError, prepare_serving, read_build
from .client_counts import SharedCounts

if TYPE_CHECKING:
    from fastapi import FastAPI

STORE_ENV = "KG_SERVE_STORE"
COUNTS_ENV = "KG_ADMISSION_TABLE"


def make_app(settings: Settings, store_url: str | None, build: BuildInfo, *, check_only: bool = False,
             counts: SharedCounts | None = None) -> FastAPI | None:
    """The served app for ``build``; StoreError naming the file or store when it cannot be served. With
    ``check_only``, only load the store (or reach the remote one) so errors surface before any process starts.
    ``counts``: the admission table shared by several front-end processes."""
    if store_url:
        engine, graphs = remote_engine(store_url, settings, build)
        if check_only:
            engine.close()
            return None
        from ..app import create_app

        return create_app(settings, engine=engine, build=build, graphs=graphs, counts=counts)
    prepare_serving(build, settings)  # load errors surface here, naming the file
    if check_only:
        return None
    from ..app import create_app

    return create_app(settings, build=build, counts=counts)  # the pool starts and stops with the app


def app() -> FastAPI:
    """uvicorn's app factory for one of several front-end processes."""
    settings = Settings.from_env()
    table = os.environ.get(COUNTS_ENV)
    counts = SharedCounts(table) if table else None
    return make_app(settings, os.environ.get(STORE_ENV) or None, read_build(settings.dist_dir), counts=counts)


def proxied_app():
    """granian's app factory for each of its processes: ``app()`` taking the client's address from
    ``X-Forwarded-For`` as uvicorn does (``server.proxied``)."""
    from .server import proxied

    return proxied(app())


def remote_engine(url: str, settings: Settings, build: BuildInfo):
    """The remote store as the engine (behind the result cache unless KG_CACHE_ENTRIES=0), and the build's
    graphs, which every query is answered over; StoreError when the store cannot be reached or lacks one of
    them. Graphs of the store's own (Virtuoso's system graphs, other datasets) are neither queried nor named."""
    from ...iris import Iris, prefixes
    from ...sparql.cache import cached
    from ...sparql.remote import RemoteEngine
    from ...sparql.engine import EngineError

    problem = http_url_problem(url, "a SPARQL query endpoint")
    if problem:
        raise StoreError(f"--store {url!r} {problem}")
    iris = Iris(build.base_iri)
    graphs = iris.graph_iris()
    remote = RemoteEngine(url, version=build.version, timeout=settings.query_timeout, prefixes=prefixes(iris),
                          graphs=graphs, concurrency=settings.workers, name_dataset=settings.store_dataset == "named")
    try:
        held = set(remote.held_graphs())
    except EngineError as err:
        raise StoreError(f"--store {url}: {err}") from None
    missing = [g for g in graphs if g not in held]
    if missing:
        raise StoreError(f"--store {url} lacks the build's graph{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(f'<{g}>' for g in missing)}: run `kg publish --to <its graph store URL>` first")
    return cached(remote, settings), graphs
