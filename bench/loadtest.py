"""Load test of `kg serve` (issue 5): a mixed workload, then the same with runaway queries, on loopback only.

Starts its own `kg serve` on a free loopback port (the build in KG_DIST, default dist/), then runs two phases
of ``--duration`` seconds each with ``--concurrency`` clients, every client from its own loopback address
(127.0.0.N, so the per-client cap treats them as the different people they stand for):

1. quiet: catalog queries (queries/*.rq), entity pages as HTML and Turtle, a dump, the service description;
2. runaways: the same, plus one runaway query started every second from one more address.

Prints requests per second, p50/p99 per route, errors, and the server's memory (RSS of it and its workers)
before and after, then checks the pass criteria of issue 5: no 5xx and no dropped connection in the quiet
mix; under the runaways the mix keeps its p99 within 3x of the quiet run (and no 5xx); memory after within
10% of before. Exit 0 when they hold, 1 when not. Every request goes to 127.0.0.1, the number of requests
is bounded by the duration, and the server is stopped at the end.

    python bench/loadtest.py                 # the full run: 64 clients, 60 s per phase
    python bench/loadtest.py --short         # a few seconds (what `make test` runs)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"
ENTITIES = """SELECT DISTINCT ?s WHERE { ?s a ?type . FILTER(STRSTARTS(STR(?s), "%sid/")) } ORDER BY ?s LIMIT 60"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in kB."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        todo += [int(c) for c in children]
    return total


def start_server(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """`kg serve` with its log in ``log`` (a pipe nobody reads would stall the server once full)."""
    port = free_port()
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"kg serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def workload(url: str, base: str) -> list[tuple[str, str, dict]]:
    """(route group, path with query string, headers) for the mix."""
    mix: list[tuple[str, str, dict]] = []
    for rq in sorted((ROOT / "queries").glob("*.rq")):
        mix.append(("catalog query", "/sparql?query=" + quote(rq.read_text(encoding="utf-8"), safe=""), {}))
    rows = httpx.get(url + "/sparql", params={"query": ENTITIES % base}, timeout=30).json()["results"]["bindings"]
    for row in rows:
        path = "/doc/" + row["s"]["value"][len(base):]
        mix.append(("entity page html", path + ".html", {}))
        mix.append(("entity page turtle", path + ".ttl", {}))
    mix += [("dump", "/dumps/void.ttl", {"Accept-Encoding": "gzip"})] * 4
    mix += [("service description", "/sparql", {"Accept": "text/turtle"})] * 4
    return mix


class Stats:
    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, group: str, status: str, seconds: float) -> None:
        self.status[group][status] += 1
        if status.isdigit() and int(status) < 400:
            self.latency[group].append(seconds)

    def total(self) -> int:
        return sum(sum(s.values()) for s in self.status.values())

    def failures(self, group_filter=lambda g: True) -> dict[str, int]:
        """5xx answers and dropped connections (everything but a status below 500)."""
        out: dict[str, int] = defaultdict(int)
        for group, statuses in self.status.items():
            if group_filter(group):
                for status, n in statuses.items():
                    if not (status.isdigit() and int(status) < 500):
                        out[status] += n
        return dict(out)

    def p99(self) -> float:
        every = [x for g, xs in self.latency.items() if g != "runaway" for x in xs]
        return quantile(every, 0.99)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def client_loop(url: str, address: str, mix, stats: Stats, stop: float, rng: random.Random) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=120) as client:
        while time.monotonic() < stop:
            group, path, headers = rng.choice(mix)
            started = time.monotonic()
            try:
                r = await client.get(path, headers=headers)
                await r.aread()
                status = str(r.status_code)
            except httpx.HTTPError as err:
                status = type(err).__name__
            stats.add(group, status, time.monotonic() - started)


async def runaways(url: str, stats: Stats, stop: float, every: float) -> None:
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.250")
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=180) as client:
        async def one():
            started = time.monotonic()
            try:
                r = await client.get("/sparql", params={"query": RUNAWAY})
                status = str(r.status_code)
            except httpx.HTTPError as err:
                status = type(err).__name__
            stats.add("runaway", status, time.monotonic() - started)

        tasks = []
        while time.monotonic() < stop:
            tasks.append(asyncio.create_task(one()))
            await asyncio.sleep(every)
        await asyncio.gather(*tasks)


async def phase(url: str, mix, concurrency: int, duration: float, runaway_every: float | None) -> tuple[Stats, float]:
    stats = Stats()
    rng = random.Random(5)
    started = time.monotonic()
    stop = started + duration
    jobs = [client_loop(url, f"127.0.{1 + k // 250}.{2 + k % 250}", mix, stats, stop, random.Random(rng.random()))
            for k in range(concurrency)]
    if runaway_every:
        jobs.append(runaways(url, stats, stop, runaway_every))
    await asyncio.gather(*jobs)
    return stats, time.monotonic() - started


def report(name: str, stats: Stats, seconds: float) -> dict:
    normal = sum(n for g, s in stats.status.items() if g != "runaway" for n in s.values())
    print(f"\n== {name}: {normal} requests of the mix in {seconds:.1f} s, {normal / seconds:.1f} requests/s")
    print(f"{'route':<22}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    rows = {}
    for group in sorted(stats.status):
        xs = stats.latency[group]
        p50, p99 = quantile(xs, 0.5) * 1000, quantile(xs, 0.99) * 1000
        statuses = dict(sorted(stats.status[group].items()))
        print(f"{group:<22}{sum(statuses.values()):>7}{p50:>10.1f}{p99:>10.1f}  {statuses}")
        rows[group] = {"n": sum(statuses.values()), "p50_ms": round(p50, 1), "p99_ms": round(p99, 1), "statuses": statuses}
    return {"requests_per_s": round(normal / seconds, 1), "p99_ms": round(stats.p99() * 1000, 1), "routes": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--runaway-every", type=float, default=1.0, help="seconds between runaway queries")
    parser.add_argument("--query-timeout", type=float, default=5.0, help="KG_QUERY_TIMEOUT of the server under test")
    parser.add_argument("--short", action="store_true", help="16 clients, 4 s per phase (the test in make test)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--log", default=str(Path(tempfile.gettempdir()) / "kg-loadtest-server.log"),
                        help="where the server's log goes")
    args = parser.parse_args(argv)
    if args.short:
        args.concurrency, args.duration = 16, 4.0
    env = dict(os.environ)
    env.setdefault("KG_DIST", str(ROOT / "dist"))
    env["KG_QUERY_TIMEOUT"] = str(args.query_timeout)
    log = Path(args.log)
    proc, url = start_server(env, log)
    try:
        mix = workload(url, json.loads((Path(env["KG_DIST"]) / "build.json").read_text())["base_iri"])
        asyncio.run(phase(url, mix, min(args.concurrency, 8), 2.0, None))  # warm the caches and the workers
        rss_before = rss_kb(proc.pid)
        quiet, quiet_s = asyncio.run(phase(url, mix, args.concurrency, args.duration, None))
        loaded, loaded_s = asyncio.run(phase(url, mix, args.concurrency, args.duration, args.runaway_every))
        time.sleep(1.0)
        asyncio.run(phase(url, mix, min(args.concurrency, 8), 2.0, None))  # same state as before: warm, idle
        rss_after = rss_kb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    figures = {
        "server": {"url": url, "query_timeout_s": args.query_timeout, "concurrency": args.concurrency,
                   "duration_s": args.duration, "runaway_every_s": args.runaway_every},
        "quiet": report("quiet mix", quiet, quiet_s),
        "runaways": report(f"mix with a runaway every {args.runaway_every:g} s", loaded, loaded_s),
        "rss_kb": {"before": rss_before, "after": rss_after},
    }
    print(f"\nserver RSS (with its workers): {rss_before / 1024:.0f} MB before, {rss_after / 1024:.0f} MB after")
    not_runaway = lambda g: g != "runaway"  # noqa: E731
    checks = {
        "quiet: no 5xx, no dropped connection": not quiet.failures(),
        "runaways: the mix has no 5xx, no dropped connection": not loaded.failures(not_runaway),
        "runaways: the mix keeps p99 within 3x of quiet": loaded.p99() <= 3 * quiet.p99(),
        # growth is what a leak shows; workers replaced after runaways come back smaller, which is no leak
        "memory after at most 10% above before": rss_after <= 1.10 * rss_before,
    }
    figures["checks"] = checks
    figures["failures"] = {"quiet": quiet.failures(), "runaways": loaded.failures(not_runaway)}
    print(f"p99 of the mix: {quiet.p99() * 1000:.0f} ms quiet, {loaded.p99() * 1000:.0f} ms with runaways")
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line or "Error" in line]
    if errors:
        print(f"server log {log}: {len(errors)} error lines, first: {errors[0][:200]}")
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
