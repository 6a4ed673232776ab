"""A real server over a real socket: the real build (made once into a temp dir) served by the HTTP server of
the settings (granian unless KG_HTTP_SERVER says uvicorn) on a free loopback port, in a thread of the test
process so tests can reach the worker pool; and the same app served by each HTTP server by name, for what
the two do differently."""

from __future__ import annotations

import warnings
from dataclasses import replace

import httpx
import pytest

from kg.build.pipeline import build
from kg.config import Settings
from kg.web.serving.live import LiveServer
from kg.web.serving.live import free_port as _free_port

QUERY_TIMEOUT = 3.0  # seconds; short so that the runaway tests stay fast


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    base = tmp_path_factory.mktemp("kg")
    settings = replace(
        Settings.from_env(),
        dist=base / "dist",
        store_dir=base / "stores",
        public_url=None,
        query_timeout=QUERY_TIMEOUT,
        workers=2,
    )
    with warnings.catch_warnings():
        # the build's rdflib calls warn of deprecations (the build's own tests cover it); not ours to fail on
        warnings.simplefilter("ignore", DeprecationWarning)
        build(settings, validate=False)  # validation is the build tests' concern; here we need its output
    return settings


@pytest.fixture()
def free_port() -> int:
    return _free_port()


@pytest.fixture(scope="session")
def server(settings):
    with LiveServer(settings) as live:
        yield live


def _served_by(name: str, settings: Settings, server: LiveServer):
    if server.settings.http_server == name:
        yield server
        return
    app = server.app
    with LiveServer(replace(settings, http_server=name), engine=server.engine, build=app.state.build,
                    graphs=app.state.graphs) as live:  # through the main server's worker pool
        yield live


@pytest.fixture(scope="session")
def granian_server(settings, server):
    yield from _served_by("granian", settings, server)


@pytest.fixture(scope="session")
def uvicorn_server(settings, server):
    yield from _served_by("uvicorn", settings, server)


@pytest.fixture(scope="session")
def isolated(settings):
    """The same build served with every query sent to a worker (no inline lookups) and no caches: what the
    shortcuts of the main server are compared with."""
    with LiveServer(replace(settings, inline_rows=0, cache_entries=0)) as live:
        yield live


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as c:
        yield c
