"""A real server over a real socket: the real build (made once into a temp dir) served by uvicorn on a
free loopback port, in a thread of the test process so tests can reach the worker pool."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from dataclasses import replace

import httpx
import pytest
import uvicorn

from kg.build import build
from kg.config import Settings
from kg.web.app import create_app, server_config

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, settings: Settings):
        self.app = create_app(settings)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(server_config(self.app, settings, "127.0.0.1", self.port, "warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def engine(self):
        return self.app.state.engine


@pytest.fixture()
def free_port() -> int:
    return _free_port()


@pytest.fixture(scope="session")
def server(settings):
    with LiveServer(settings) as live:
        yield live


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as c:
        yield c
