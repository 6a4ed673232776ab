"""The abuse suite's server and witnesses.

A real build served by uvicorn on a free loopback port (in a thread of the test process, so tests can see
the worker pool), plus the witnesses that prove an attack did nothing: a loopback listener that records
every connection made to it, and a named pipe (FIFO) that records whether anything opened it to read.
``unharmed`` checks after every attack that a trivial ASK still answers promptly and that the data and the
dist folder are as they were.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import warnings
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from kg.build.pipeline import build
from kg.config import Settings
from kg.web.serving.live import LiveServer as Serving

QUERY_TIMEOUT = 1.5  # seconds: runaways stop quickly here
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    base = tmp_path_factory.mktemp("abuse")
    settings = replace(
        Settings.from_env(),
        dist=base / "dist",
        store_dir=base / "stores",
        public_url=None,
        query_timeout=QUERY_TIMEOUT,
        workers=2,
        max_per_client=8,
        worker_memory_mb=1024,  # a memory-hungry query stops its worker early
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own deprecations in the build
        build(settings, validate=False)  # validation is the build tests' concern
    return settings


@pytest.fixture(scope="session")
def server(settings):
    with Serving(settings) as live:
        yield live


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as c:
        yield c


def dist_digest(dist: Path) -> str:
    """One digest over every file of the build (names and bytes)."""
    h = hashlib.sha256()
    for path in sorted(dist.resolve().rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class Witness:
    """What the server looked like before an attack, and the checks that it still does."""

    def __init__(self, server: Serving):
        self.server = server
        self.count = self.triples()
        self.digest = dist_digest(server.settings.dist_dir)

    def triples(self) -> int:
        r = httpx.get(self.server.url + "/sparql", params={"query": COUNT}, timeout=30)
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    def prompt(self, within: float = 5.0) -> None:
        """A trivial ASK answers within ``within`` seconds."""
        started = time.monotonic()
        r = httpx.get(self.server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        took = time.monotonic() - started
        assert r.status_code == 200 and r.json()["boolean"] is True, r.text
        assert took < within, f"a trivial ASK took {took:.2f} s after the attack"

    def unchanged(self) -> None:
        """Nothing was written to the store or to dist/."""
        assert self.triples() == self.count, "the store changed"
        assert dist_digest(self.server.settings.dist_dir) == self.digest, "dist/ changed"


@pytest.fixture(scope="session")
def witness(server) -> Witness:
    return Witness(server)


@pytest.fixture(scope="module")
def nothing_written(witness):
    """For a whole module of attacks (``pytestmark = pytest.mark.usefixtures("nothing_written")``):
    afterwards the store and dist/ are as they were."""
    yield
    witness.unchanged()


@pytest.fixture()
def unharmed(witness):
    """Use in a test; after it, a trivial query must still answer promptly."""
    yield witness
    witness.prompt()


class Listener:
    """A TCP listener on loopback that records every connection (and the first bytes sent)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.02)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.hits: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    self.hits.append(b"(connected)")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture()
def listener():
    """A loopback listener; the test fails if anything connected to it."""
    lst = Listener()
    yield lst
    time.sleep(0.05)  # a late fetch still arrives in time to be counted
    lst.close()
    assert lst.hits == [], f"the server sent requests out: {lst.hits[:3]}"


class Canary:
    """A named pipe: any process that opens it for reading is noticed (its open unblocks our writer)."""

    def __init__(self, folder: Path):
        self.path = folder / "canary.ttl"
        os.mkfifo(self.path)
        self.opened = threading.Event()
        self.done = False
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    @property
    def iri(self) -> str:
        return self.path.as_uri()

    def _wait(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # blocks until someone opens the pipe to read
        if not self.done:
            self.opened.set()
        os.close(fd)

    def close(self) -> None:
        self.done = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # releases our own writer
        self.thread.join(timeout=5)
        os.close(fd)


@pytest.fixture()
def canary(tmp_path):
    """A local file the server must never read; the test fails if anything opened it."""
    c = Canary(tmp_path)
    yield c
    time.sleep(0.05)
    read = c.opened.is_set()
    c.close()
    assert not read, f"the server read the local file {c.path}"


@pytest.fixture()
def witness_kinds():
    """The witness classes themselves, for the tests that prove they notice what they should."""
    return Listener, Canary


@pytest.fixture(scope="session")
def serving_kind():
    """The Serving class, for tests that serve a build of their own."""
    return Serving


def route_paths(routes) -> set[str]:
    """Every path pattern an app serves, routers included (FastAPI nests them as included routers)."""
    out: set[str] = set()
    for route in routes:
        if hasattr(route, "path"):
            out.add(route.path)
        if hasattr(route, "original_router"):
            out |= route_paths(route.original_router.routes)
    return out


@pytest.fixture(scope="session")
def served_paths(server) -> set[str]:
    paths = route_paths(server.app.routes)
    assert len(paths) > 20, paths
    return paths
