"""`kg serve` and `kg query` as a user runs them: separate processes, real sockets."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest

from kg.web.serving.client_counts import LIVENESS

KG = [sys.executable, "-m", "kg.cli"]


def env_for(settings, **extra) -> dict:
    env = dict(os.environ)
    env.update({"KG_DIST": str(settings.dist_dir), "KG_STORE_DIR": str(settings.store_dir)})
    env.update(extra)
    return env


@pytest.mark.parametrize("http_server", ["granian", "uvicorn"])
def test_serve_answers_then_stops_on_sigterm(settings, free_port, http_server):
    port = free_port
    proc = subprocess.Popen(KG + ["serve", "--host", "127.0.0.1", "--port", str(port), "--processes", "1",
                                  "--http-server", http_server],
                            env=env_for(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = _first_answer(proc, port, 30)
        assert r.json()["boolean"] is True
        sd = httpx.get(f"http://127.0.0.1:{port}/sparql", headers={"Accept": "text/turtle"})
        assert f"<http://127.0.0.1:{port}/sparql>" in sd.text
        workers = _descendants(proc.pid)  # uvicorn's in this process, granian's under its one process
        assert len(workers) >= settings.workers
    finally:
        err = _sigterm(proc, 20)
    # every child goes: the workers with the pool, multiprocessing's resource tracker when it reads the end
    # of its pipe (which on a loaded machine can take a moment after kg serve has exited)
    _stopped_cleanly(proc, err, f"HTTP by {http_server}", workers, 10)
    assert f"{settings.workers} query workers each holding it in memory" in err  # the report: under the limit
    assert f"lookups of up to {settings.inline_rows} solutions answered in process" in err


def _first_answer(proc: subprocess.Popen, port: int, seconds: float) -> httpx.Response:
    """The answer to ASK {} once ``kg serve`` listens, asking until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5)
        except httpx.TransportError:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, f"kg serve did not start within {seconds:g} s"
            time.sleep(0.1)


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


@pytest.mark.parametrize("http_server", ["uvicorn", "granian"])
def test_serve_with_several_processes_shares_the_port_and_stops_on_sigterm(settings, free_port, http_server):
    port = free_port
    proc = subprocess.Popen(KG + ["serve", "--host", "127.0.0.1", "--port", str(port), "--processes", "2",
                                  "--http-server", http_server],
                            env=env_for(settings, KG_WORKERS="2", KG_QUERY_TIMEOUT="8"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    everything: list[str] = []
    table = ""
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
        tables = {_mapped_table(pid) for pid in front_ends}
        assert len(tables) == 1 and Path(tables.pop()).is_file()
        table = _mapped_table(front_ends[0])
        _caps_hold_across_processes(port)
    finally:
        err = _sigterm(proc, 30)
    _stopped_cleanly(proc, err, "2 front-end processes", everything, 15)
    assert f"HTTP by {http_server}" in err
    assert not Path(table).exists()  # the parent removes the shared admission table


def test_serve_with_granian_refuses_a_request_line_past_its_limit_and_answers_it_by_post(settings, free_port):
    """granian answers 414 to a request target of more than 65,534 bytes before the app sees it (the limit
    docs/operations.md and ``kg serve --help`` state); the same query sent by POST is answered. One process: no
    shared admission table."""
    port = free_port
    proc = subprocess.Popen(KG + ["serve", "--port", str(port), "--processes", "1", "--http-server", "granian"],
                            env=env_for(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    everything: list[str] = []
    query = "ASK {} # " + "\u00e9" * 20_000  # 40 KB, under the query limit; 120 KB percent-encoded
    try:
        r = _first_answer(proc, port, 60)
        assert r.status_code == 200 and r.json()["boolean"] is True
        everything = _descendants(proc.pid)
        assert len(everything) >= 1 + settings.workers  # granian's process and its query workers
        assert not any(_mapped_table(pid) for pid in everything)
        long = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # httpx itself refuses such a URL
        long.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}))
        assert long.getresponse().status == 414
        long.close()
        posted = httpx.post(f"http://127.0.0.1:{port}/sparql", content=query, timeout=10,
                            headers={"Content-Type": "application/sparql-query"})
        assert posted.status_code == 200 and posted.json()["boolean"] is True
        page = httpx.get(f"http://127.0.0.1:{port}/", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "Wilson Center" in page.text
    finally:
        err = _sigterm(proc, 30)
    _stopped_cleanly(proc, err, "HTTP by granian", everything, 15)


def _mapped_table(pid: str) -> str | None:
    """The admission table a front end has mapped (``kg-admission-*``), from /proc (granian's processes are
    forked: their environ is the parent's at exec, without KG_ADMISSION_TABLE); None for a process that has
    none or has gone."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in maps.splitlines():
        if "/kg-admission-" in line:
            return line.split(maxsplit=5)[5]
    return None


def _caps_hold_across_processes(port: int) -> None:
    """While one client's runaway query holds a worker in one front end, its next queries are refused
    (429) on every new connection, whichever process takes it: with two workers a process, the client may
    run one query at a time in the whole server. Another client is answered; once the runaway has timed
    out (KG_QUERY_TIMEOUT), the first client is answered again."""
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"
    url = f"http://127.0.0.1:{port}/sparql"

    def client(address: str) -> httpx.Client:
        return httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address=address))

    outcome = {}
    time.sleep(LIVENESS + 0.1)  # each process has looked again for the others since both started

    def runaway():
        with client("127.0.0.7") as c:
            outcome["status"] = c.get(url, params={"query": slow}).status_code

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)  # the runaway reaches the server (it then runs for KG_QUERY_TIMEOUT)
    deadline = time.monotonic() + 5  # on a slow machine it may take longer: ask until it is there
    probe = 0  # queries only a worker answers (a FILTER, never cached): cache hits are not refused (issue 24)
    while True:
        probe += 1
        with client("127.0.0.7") as c:
            if c.get(url, params={"query": f'ASK {{ ?s ?p ?o FILTER (?o = "probe {probe}") }}'}).status_code == 429:
                break
        assert time.monotonic() < deadline, "the runaway never reached the server"
        time.sleep(0.2)
    refused = []
    for i in range(12):
        with client("127.0.0.7") as c:  # a new connection each time, spread over both processes
            refused.append(c.get(url, params={"query": f'ASK {{ ?s ?p ?o FILTER (?o = "again {i}") }}'}).status_code)
    with client("127.0.0.8") as other:
        assert other.get(url, params={"query": "ASK {}"}).status_code == 200
    thread.join()
    assert refused == [429] * 12, refused
    assert outcome["status"] == 503  # timed out
    with client("127.0.0.7") as c:
        assert c.get(url, params={"query": "ASK {}"}).status_code == 200


@pytest.mark.parametrize("argv, env, says", [
    (["--processes", "0"], {}, "--processes=0 must be at least 1"),
    (["--processes", "two"], {}, "--processes='two' is neither a whole number nor auto"),
    ([], {"KG_PROCESSES": "-1"}, "KG_PROCESSES=-1 must be at least 1"),
    (["--http-server", "gunicorn"], {}, "--http-server='gunicorn' is not one of granian, uvicorn"),
    ([], {"KG_HTTP_SERVER": "nginx"}, "KG_HTTP_SERVER='nginx' is not one of granian, uvicorn"),
])
def test_serve_refuses_a_bad_number_of_processes_or_http_server(settings, free_port, argv, env, says):
    r = subprocess.run(KG + ["serve", "--port", str(free_port), *argv], env=env_for(settings, **env),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert says in r.stderr


@pytest.mark.parametrize("http_server", ["uvicorn", "granian"])
def test_serve_with_several_processes_names_a_port_it_cannot_listen_on(settings, free_port, http_server):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port))
        taken.listen(1)
        r = subprocess.run(KG + ["serve", "--port", str(free_port), "--processes", "2", "--http-server", http_server],
                           env=env_for(settings), capture_output=True, text=True, timeout=60)
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
    code = ("import sys, kg.cli, kg.store, kg.web.serving.served, kg.web.serving.server, uvicorn.supervisors; "
            "print(sorted(m for m in sys.modules if m == 'fastapi' or m.startswith(('fastapi.', 'kg.web.app'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
