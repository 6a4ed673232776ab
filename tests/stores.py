"""Real SPARQL stores started on loopback for the tests of `kg publish` and `kg serve --store` (issue 4):
Oxigraph's own server (PyPI `oxigraph`, in the test extras) and Virtuoso Open Source (Debian's
virtuoso-opensource-7-bin, which .ci/run installs).

Each starter returns a running ``Store``: its process, origin, Graph Store Protocol URL (with the user and
password it needs, if any) and query URL; ``stop()`` ends it. Without the program the tests skip, naming
it, except under ``CI=true``, where they fail: CI installs both, so these tests always run there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kg.web.serving.live import free_port

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO = shutil.which("virtuoso-t")
IN_CI = os.environ.get("CI") == "true"
STORE_LIMIT = 5  # seconds a store itself lets one query run (Virtuoso's MaxQueryExecutionTime; --timeout-s for Oxigraph)


@dataclass
class Store:
    name: str
    process: subprocess.Popen
    origin: str
    graph_store: str
    query: str
    user: str | None = None
    password: str | None = None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def missing(program: str, install: str) -> None:
    reason = f"{program} is not installed ({install})"
    if IN_CI:
        pytest.fail(f"{reason}; under CI=true these tests must run")
    pytest.skip(reason)


def _wait(process: subprocess.Popen, url: str, name: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"{name} did not start within {seconds:g} s")
        time.sleep(0.1)


def start_oxigraph(location: Path, *extra: str) -> Store:
    """`oxigraph serve` on a free port: no setting of ours (the default graph is its own, empty one)."""
    if not OXIGRAPH.is_file():
        missing("the oxigraph server", "pip install '.[test]'")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _wait(process, origin + "/query", "oxigraph serve", 30)
    return Store("oxigraph", process, origin, origin + "/store", origin + "/query")


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = {limit}
"""


def start_virtuoso(folder: Path) -> Store:
    """Virtuoso in the foreground on free ports with a new database in ``folder``: SPARQL at /sparql, the
    Graph Store Protocol at /sparql-graph-crud-auth (HTTP Digest, the new database's user dba, password dba)."""
    if VIRTUOSO is None:
        missing("Virtuoso (virtuoso-t)", "apt-get install virtuoso-opensource-7-bin")
    http_port = free_port()
    sql_port = free_port()
    while sql_port == http_port:  # two free ports, not the same one twice
        sql_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, sql_port=sql_port, http_port=http_port, limit=STORE_LIMIT), encoding="utf-8")
    process = subprocess.Popen([VIRTUOSO, "+configfile", str(ini), "+foreground"], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{http_port}"
    _wait(process, origin + "/sparql", "virtuoso-t", 90)
    return Store("virtuoso", process, origin, origin + "/sparql-graph-crud-auth", origin + "/sparql", "dba", "dba")
