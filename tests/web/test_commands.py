"""`kg serve` and `kg query` as a user runs them: separate processes, real sockets."""

from __future__ import annotations

import os
import signal
import socket
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
        err = _sigterm(proc, 20)
    # every child goes: the workers with the pool, multiprocessing's resource tracker when it reads the end
    # of its pipe (which on a loaded machine can take a moment after kg serve has exited)
    _stopped_cleanly(proc, err, "SPARQL at", workers, 10)
    assert f"{settings.workers} query workers each holding it in memory" in err  # the report: under the limit


def _sigterm(proc: subprocess.Popen, timeout: float) -> str:
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=timeout)[1]


def _stopped_cleanly(proc: subprocess.Popen, err: str, says: str, pids: list[str], seconds: float) -> None:
    """uvicorn shut down (the app closed its worker pool) and re-raised SIGTERM as its exit status, having
    said ``says``; every one of ``pids`` is gone within ``seconds``."""
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert says in err
    deadline = time.monotonic() + seconds
    while alive := [pid for pid in pids if _running(pid)]:
        assert time.monotonic() < deadline, f"processes still running {seconds:g} s after kg serve exited: {alive}"
        time.sleep(0.1)


def _running(pid: str) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return False


def _descendants(pid: int) -> list[str]:
    found, todo = [], [str(pid)]
    while todo:
        children = subprocess.run(["pgrep", "-P", todo.pop()], capture_output=True, text=True).stdout.split()
        found += children
        todo += children
    return found


def test_serve_with_several_processes_shares_the_port_and_stops_on_sigterm(settings, free_port):
    port = free_port
    proc = subprocess.Popen(KG + ["serve", "--host", "127.0.0.1", "--port", str(port), "--processes", "2"],
                            env=env_for(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    everything: list[str] = []
    try:
        deadline = time.monotonic() + 60
        answered = 0
        while answered < 20:  # many connections, spread by the kernel over both processes
            try:
                with httpx.Client(timeout=5) as c:  # a new connection each time
                    r = c.get(f"http://127.0.0.1:{port}/sparql", params={"query": f"ASK {{}} # {answered}"})
                assert r.status_code == 200 and r.json()["boolean"] is True
                answered += 1
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "kg serve --processes 2 did not start"
                time.sleep(0.2)
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        # a front end is a child with query workers of its own (multiprocessing may add a resource tracker)
        front_ends = [pid for pid in children if len(_descendants(int(pid))) >= settings.workers]
        assert len(front_ends) == 2, front_ends
        everything = _descendants(proc.pid)
        assert len(everything) >= 2 + 2 * settings.workers  # two front ends, each with its own query workers
    finally:
        err = _sigterm(proc, 30)
    _stopped_cleanly(proc, err, "2 front-end processes", everything, 15)


def test_serve_refuses_fewer_than_one_process(settings, free_port):
    r = subprocess.run(KG + ["serve", "--port", str(free_port), "--processes", "0"], env=env_for(settings),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "--processes must be at least 1" in r.stderr


def test_serve_with_several_processes_names_a_port_it_cannot_listen_on(settings, free_port):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port))
        taken.listen(1)
        r = subprocess.run(KG + ["serve", "--port", str(free_port), "--processes", "2"], env=env_for(settings),
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert f"cannot listen on 127.0.0.1:{free_port}" in r.stderr


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


def test_the_supervising_parent_of_several_processes_does_not_import_the_app():
    """What the parent of `kg serve --processes N` imports (kg.cli's serve path up to the supervisor) leaves out
    FastAPI and the app, about a second that would delay every front-end process's start."""
    code = ("import sys, kg.cli, kg.store, kg.web.served, kg.web.server, uvicorn.supervisors; "
            "print(sorted(m for m in sys.modules if m == 'fastapi' or m.startswith(('fastapi.', 'kg.web.app'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
