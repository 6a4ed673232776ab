"""The app ``kg serve`` serves: the build's embedded store through a worker pool, or a remote store.

``make_app`` is what ``kg serve`` calls in its own process; ``app`` is the factory each front-end process
calls under ``kg serve --processes N`` (uvicorn's supervisor starts N processes on one listening socket,
and each builds its own app, worker pool and caches from the environment: ``KG_DIST`` as resolved by the
parent, and ``KG_SERVE_STORE``, the remote store's URL or empty).
"""

from __future__ import annotations

import os
import socket

from fastapi import FastAPI

from ..config import Settings
from ..store import BuildInfo, StoreError, prepare_serving, read_build
from .app import create_app

STORE_ENV = "KG_SERVE_STORE"


def make_app(settings: Settings, store_url: str | None, build: BuildInfo, *, check_only: bool = False) -> FastAPI | None:
    """The served app for ``build``; StoreError naming the file or store when it cannot be served. With
    ``check_only``, only load the store (or reach the remote one) so errors surface before any process starts."""
    if store_url:
        engine, graphs = remote_engine(store_url, settings, build)
        if check_only:
            engine.close()
            return None
        return create_app(settings, engine=engine, build=build, graphs=graphs)
    prepare_serving(build, settings)  # load errors surface here, naming the file
    return None if check_only else create_app(settings, build=build)  # the pool starts and stops with the app


def app() -> FastAPI:
    """uvicorn's app factory for one of several front-end processes."""
    settings = Settings.from_env()
    return make_app(settings, os.environ.get(STORE_ENV) or None, read_build(settings.dist_dir))


def remote_engine(url: str, settings: Settings, build: BuildInfo):
    """The remote store as the engine (behind the result cache unless KG_CACHE_ENTRIES=0), and its graphs;
    StoreError when it cannot be reached or holds none of the build's graphs."""
    from ..iris import Iris, prefixes
    from ..sparql.cache import cached
    from ..sparql.remote import RemoteEngine
    from ..sparql.workers import EngineError

    remote = RemoteEngine(url, version=build.version, timeout=settings.query_timeout,
                          prefixes=prefixes(Iris(build.base_iri)), concurrency=settings.workers)
    try:
        graphs = remote.named_graphs()
    except EngineError as err:
        raise StoreError(f"--store {url}: {err}") from None
    if not graphs:
        raise StoreError(f"--store {url} holds no named graph: run `kg publish --to <its graph store URL>` first")
    return cached(remote, settings), graphs


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket several front-end processes share, inheritable by them. Made with IPPROTO_TCP as its
    protocol: asyncio sets TCP_NODELAY only on accepted sockets whose protocol says TCP, and a socket made
    with protocol 0 (as uvicorn's own ``Config.bind_socket`` makes it) left Nagle's algorithm on, which
    measured 44 ms per request here (the second segment of each answer waiting for the client's delayed ACK)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock
