"""`kg serve` and `kg query` as a user runs them: separate processes, real sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

KG = [sys.executable, "-m", "kg.cli"]


def env_for(settings, **extra) -> dict:
    env = dict(os.environ)
    env.update({"KG_DIST": str(settings.dist_dir), "KG_STORE_DIR": str(settings.store_dir)})
    env.update(extra)
    return env


def test_serve_answers_then_stops_on_sigterm(settings, free_port):
    port = free_port
    proc = subprocess.Popen(KG + ["serve", "--host", "127.0.0.1", "--port", str(port)], env=env_for(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "kg serve did not start"
                time.sleep(0.1)
        assert r.json()["boolean"] is True
        sd = httpx.get(f"http://127.0.0.1:{port}/sparql", headers={"Accept": "text/turtle"})
        assert f"<http://127.0.0.1:{port}/sparql>" in sd.text
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) >= settings.workers
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    # uvicorn shuts down (the app closes its worker pool), then re-raises SIGTERM as its exit status
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "SPARQL at" in err
    # every child goes: the workers with the pool, multiprocessing's resource tracker when it reads the end
    # of its pipe (which on a loaded machine can take a moment after kg serve has exited)
    deadline = time.monotonic() + 10
    while alive := [pid for pid in workers if _running(pid)]:
        assert time.monotonic() < deadline, f"children still running 10 s after kg serve exited: {alive}"
        time.sleep(0.1)


def _running(pid: str) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return False


def test_serve_without_build_names_the_file(settings, tmp_path, free_port):
    r = subprocess.run(KG + ["serve", "--port", str(free_port)], env=env_for(settings, KG_DIST=str(tmp_path)),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert str(Path(tmp_path) / "build.json") in r.stderr


def test_query_prints_results(settings):
    r = subprocess.run(KG + ["query", "SELECT (1 AS ?one) {}", "--format", "csv"], env=env_for(settings),
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"one\r\n1\r\n"


def test_query_reads_stdin_and_refuses_like_the_server(settings):
    r = subprocess.run(KG + ["query", "-"], input="SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
                       env=env_for(settings), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "SERVICE" in r.stderr


def test_query_syntax_error(settings):
    r = subprocess.run(KG + ["query", "SELECT * {"], env=env_for(settings), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "1:" in r.stderr
