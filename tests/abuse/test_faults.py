"""Faults (issue 5): a worker killed mid-query, SIGTERM while requests are in flight, a missing or corrupt
build at start, a build that fails half-way through writing."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from kg.build import dumps
from kg.cli import main

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"
KG = [sys.executable, "-m", "kg.cli"]


def busy_worker(server) -> int:
    deadline = time.monotonic() + 30
    while not server.engine.busy_pids():
        assert time.monotonic() < deadline, "the query never reached a worker"
        time.sleep(0.02)
    return server.engine.busy_pids()[0]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV, signal.SIGTERM])
def test_worker_killed_mid_query(server, unharmed, sig):
    outcome = {}

    def query():
        r = httpx.get(server.url + "/sparql", params={"query": RUNAWAY}, timeout=60)
        outcome["status"], outcome["text"] = r.status_code, r.text

    thread = threading.Thread(target=query)
    thread.start()
    pid = busy_worker(server)
    os.kill(pid, sig)
    thread.join(timeout=30)
    assert outcome["status"] == 503
    assert "worker stopped while evaluating this query" in outcome["text"]
    r = httpx.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert pid not in server.engine.pids()


def env_for(settings, **extra) -> dict:
    env = dict(os.environ)
    env.update({"KG_DIST": str(settings.dist_dir), "KG_STORE_DIR": str(settings.store_dir),
                "KG_QUERY_TIMEOUT": "3", "KG_WORKERS": "2"})
    env.update(extra)
    return env


def test_sigterm_during_load(settings):
    """Requests in flight when SIGTERM arrives are answered completely or refused cleanly (a closed
    connection, never a truncated body); the server and its workers then exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(KG + ["serve", "--port", str(port)], env=env_for(settings),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "kg serve did not start"
                time.sleep(0.1)
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        outcomes: list[str] = []
        lock = threading.Lock()

        def load(k: int) -> None:
            with httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address=f"127.0.0.{40 + k}")) as c:
                run(c, k)

        def run(c: httpx.Client, k: int) -> None:
            for n in range(50):
                query = RUNAWAY if (k == 0 and n == 0) else "SELECT ?s WHERE { ?s ?p ?o } LIMIT 50"
                try:
                    r = c.get(url + "/sparql", params={"query": query})
                    if r.status_code == 200:
                        r.json()  # a complete body, or this raises
                    outcome = str(r.status_code)
                except (httpx.TransportError, httpx.RemoteProtocolError):
                    outcome = "closed"
                with lock:
                    outcomes.append(outcome)
                if outcome == "closed":
                    return

        threads = [threading.Thread(target=load, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(timeout=60)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    code = proc.returncode
    assert code in (0, -signal.SIGTERM), err[-2000:]
    assert "200" in outcomes and "closed" in outcomes, outcomes
    assert set(outcomes) <= {"200", "503", "closed"}, set(outcomes)
    assert "Traceback" not in err
    deadline = time.monotonic() + 15  # the workers and multiprocessing's resource tracker follow it out
    for pid in workers:
        status = Path(f"/proc/{pid}/status")
        while status.exists() and "zombie" not in status.read_text().lower():
            assert time.monotonic() < deadline, f"child {pid} of kg serve outlived it"
            time.sleep(0.1)


@pytest.mark.parametrize("damage, named", [
    ("missing-folder", "build.json"), ("missing-build-json", "build.json"), ("missing-dataset", "dataset.nq"),
    ("corrupt-build-json", "build.json"), ("build-json-without-version", "build.json"),
    ("corrupt-dataset", "dataset.nq"), ("empty-build-json", "build.json"),
])
def test_missing_or_corrupt_build_at_start(settings, tmp_path, monkeypatch, capsys, damage, named):
    dist = tmp_path / "dist"
    if damage != "missing-folder":
        shutil.copytree(settings.dist_dir.resolve(), dist)
    if damage == "missing-build-json":
        (dist / "build.json").unlink()
    elif damage == "missing-dataset":
        (dist / "dataset.nq").unlink()
    elif damage == "corrupt-build-json":
        (dist / "build.json").write_text('{"version": "x", "base_iri": ')
    elif damage == "build-json-without-version":
        (dist / "build.json").write_text('{"base_iri": "https://kg.example.org/", "triples": 1}')
    elif damage == "empty-build-json":
        (dist / "build.json").write_text("")
    elif damage == "corrupt-dataset":
        text = (dist / "build.json").read_text().replace('"version": "', '"version": "corrupt', 1)
        (dist / "build.json").write_text(text)
        with (dist / "dataset.nq").open("a") as f:
            f.write("<http://a/s> <http://a/p> this is not N-Quads .\n")
    for key, value in env_for(settings, KG_DIST=str(dist), KG_STORE_DIR=str(tmp_path / "stores")).items():
        monkeypatch.setenv(key, value)
    code = main(["serve", "--port", "9"])  # `kg serve` in this process: it stops before serving anything
    err = capsys.readouterr().err
    assert code == 2, err[-1000:]
    assert str(dist.resolve() / named) in err or str(dist / named) in err, err[-1000:]


@pytest.mark.parametrize("fail_at", ["writing", "linking"])
def test_build_failing_half_way_leaves_the_served_dist(server, settings, unharmed, monkeypatch, fail_at):
    """A release that fails while its files are written (disk full after three files) or just before the
    link is swapped: dist/ still points at the last good release, which is served byte for byte."""
    before = settings.dist_dir.resolve()
    served = httpx.get(server.url + "/dumps/dataset.nq", headers={"Accept-Encoding": "identity"}, timeout=30).content
    files = {p.name: p.read_bytes() for p in before.iterdir() if p.is_file()}
    files["dataset.nq"] += b"<http://a/new> <http://a/p> <http://a/o> .\n"
    written = []

    def failing_open(path, mode="r", *args, **kwargs):
        if "w" in mode:
            written.append(path)
            if len(written) > 3:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return open(path, mode, *args, **kwargs)

    def failing_symlink(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    if fail_at == "writing":
        monkeypatch.setattr(dumps, "open", failing_open, raising=False)
    else:
        monkeypatch.setattr(dumps.os, "symlink", failing_symlink)
    with pytest.raises(OSError):
        dumps.write_release(settings.dist_dir, files)
    monkeypatch.undo()
    assert settings.dist_dir.resolve() == before
    releases = settings.dist_dir.parent / (settings.dist_dir.name + ".releases")
    assert not [p for p in releases.iterdir() if p.name.startswith(".tmp-")]
    assert httpx.get(server.url + "/dumps/dataset.nq", headers={"Accept-Encoding": "identity"},
                     timeout=30).content == served == (before / "dataset.nq").read_bytes()
    for leftover in releases.iterdir():  # a release that never became dist/ is not left to pile up
        if leftover != before:
            shutil.rmtree(leftover)
