"""Side-by-side benchmark: our server, Oxigraph's own server and rdflib-endpoint on the same data.

For each corpus (the report's build, then generated corpora of about 10^4, 10^5 and 10^6 triples, see
``corpus.py``) every server is started on loopback, timed while it loads and starts, and then measured
with wrk (Debian's ``wrk``): requests per second and p50/p99 latency at concurrency 1 and 16 for each
workload, in rounds that alternate the servers, so the load other developers put on the machine falls
on all of them alike. Medians over the rounds go to ``bench/results/<stamp>.md`` (with the ratios ours
to each peer) and everything measured to ``bench/results/<stamp>.json``.

    make bench            (or: bench/.venv/bin/python bench/run.py --help)

Peers run from ``bench/.venv`` (PyPI ``oxigraph`` and ``rdflib-endpoint``), ours from ``.venv``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))  # corpus.py beside this file (run as a script, not a package)
from corpus import generate  # noqa: E402

PREFIXES = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX kg: <https://kg.example.org/ontology/kg#>
"""

# (a)-(d): the workloads, plain SPARQL every server parses; (e) is queries/*.rq, (f) our pages
WORKLOADS = {
    "a-lookup": "SELECT ?p ?o WHERE { <https://kg.example.org/id/place/jilin> ?p ?o }",
    "b-label-search": PREFIXES + """SELECT ?s ?label WHERE {
  ?s skos:prefLabel ?label .
  FILTER (CONTAINS(LCASE(STR(?label)), "jilin"))
}""",
    "c-group-sum": PREFIXES + """SELECT ?area ?measure (SUM(?value) AS ?total) (COUNT(?obs) AS ?n) WHERE {
  VALUES ?measure { kg:households kg:persons }
  ?obs a qb:Observation ;
       sdmx-dimension:refArea ?area ;
       qb:measureType ?measure ;
       ?measure ?value .
}
GROUP BY ?area ?measure
ORDER BY DESC(?total)""",
    "d-multi-join": PREFIXES + """SELECT ?event ?label ?actorLabel ?placeLabel ?begin ?end WHERE {
  ?event crm:P4_has_time-span ?span ;
         skos:prefLabel ?label ;
         crm:P14_carried_out_by ?actor .
  ?span crm:P82a_begin_of_the_begin ?begin ;
        crm:P82b_end_of_the_end ?end .
  FILTER (?begin >= "1957-01-01T00:00:00"^^xsd:dateTime && ?end <= "1960-12-31T23:59:59"^^xsd:dateTime)
  ?actor skos:prefLabel ?actorLabel .
  OPTIONAL { ?event kg:destination|crm:P7_took_place_at ?place . ?place skos:prefLabel ?placeLabel .
             FILTER (lang(?placeLabel) = "en") }
  FILTER (lang(?label) = "en" && lang(?actorLabel) = "en")
}""",
}
# --rent: each speed layer on and off in one run (docs/performance.md, "Rent"). A variant is kg serve with
# these settings; a mechanism is measured as (the variant with it on, the variant with it off) on the
# workloads it is for. The result cache only shows with the response cache off (that one answers every
# repeated request first), and the lane, inline lookups, the front and the HTTP server are measured
# uncached as well, where they do the work.
NOCACHE = {"KG_CACHE_ENTRIES": "0"}
RENT_VARIANTS = {
    "kg-noresponsecache": {"KG_RESPONSE_CACHE": "0"},
    "kg-nofront": {"KG_FRONT": "0"},
    "kg-nocache-nofront": {**NOCACHE, "KG_FRONT": "0"},
    "kg-nocache-nolane": {**NOCACHE, "KG_LOOKUP_LANE": "0"},
    "kg-nocache-noinline": {**NOCACHE, "KG_INLINE_ROWS": "0"},
    "kg-localcounts": {"KG_SHARED_COUNTS": "0"},
    "kg-1p": {"KG_PROCESSES": "1"},
    "kg-nocache-1p": {**NOCACHE, "KG_PROCESSES": "1"},
    "kg-uvicorn": {"KG_HTTP_SERVER": "uvicorn"},
    "kg-nocache-uvicorn": {**NOCACHE, "KG_HTTP_SERVER": "uvicorn"},
}
QUERY_WORKLOADS = ("a-lookup", "b-label-search", "c-group-sum", "d-multi-join", "e-catalog")
EVERY = QUERY_WORKLOADS + ("f-page-html", "f-page-turtle")
# mechanism, with it on, with it off, the workloads it is for
RENT = [
    ("response cache", "kg", "kg-noresponsecache", EVERY),
    ("result cache", "kg-noresponsecache", "kg-nocache", EVERY),
    ("the front (cached)", "kg", "kg-nofront", EVERY),
    ("the front (uncached)", "kg-nocache", "kg-nocache-nofront", EVERY),
    ("lookup lane", "kg-nocache", "kg-nocache-nolane", ("a-lookup",)),
    ("inline lookups", "kg-nocache", "kg-nocache-noinline", ("a-lookup",)),
    ("shared client counts", "kg", "kg-localcounts", EVERY),
    ("two front-end processes (cached)", "kg", "kg-1p", EVERY),
    ("two front-end processes (uncached)", "kg-nocache", "kg-nocache-1p", EVERY),
    ("granian over uvicorn (cached)", "kg", "kg-uvicorn", EVERY),
    ("granian over uvicorn (uncached)", "kg-nocache", "kg-nocache-uvicorn", EVERY),
]

PAGES = {"f-page-html": "/doc/id/place/jilin.html", "f-page-turtle": "/doc/id/place/jilin.ttl"}
SELECT_JSON = "application/sparql-results+json"

# Each request comes from its own client address (X-Forwarded-For, which kg serve trusts from loopback):
# wrk's connections stand for that many clients, not one client that our per-client admission would
# hold to one query at a time (KG_MAX_PER_CLIENT and the query cap in src/kg/web/serving/admission.py). Peers
# ignore the header.
LUA = r"""
local paths = {%s}
local i = 0
local n = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  i = i %% #paths + 1
  n = n + 1
  local from = string.format("10.%%d.%%d.%%d", tid or 0, math.floor(n / 256) %% 256, n %% 256)
  return wrk.format("GET", paths[i], {["Accept"] = "%s", ["X-Forwarded-For"] = from})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %%d, "duration_us": %%d, "status_errors": %%d, "socket_errors": %%d, "p50_us": %%d, "p99_us": %%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, ()))
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass
class Server:
    name: str
    url: str  # the SPARQL endpoint
    process: subprocess.Popen
    origin: str
    log: Path
    peak_rss: int = 0
    facts: dict = field(default_factory=dict)
    _stop: bool = False

    def watch(self) -> None:
        def sample():
            while not self._stop and self.process.poll() is None:
                self.peak_rss = max(self.peak_rss, tree_rss(self.process.pid))
                time.sleep(0.2)

        threading.Thread(target=sample, daemon=True).start()

    def stop(self) -> None:
        self._stop = True
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_ready(server: Server, deadline_s: float) -> float:
    """Seconds until the endpoint answers ASK {} with 200 (the process was started just before)."""
    start = time.monotonic()
    url = server.url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {server.log}")
        try:
            req = urllib.request.Request(url, headers={"Accept": SELECT_JSON})
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > deadline_s:
            raise RuntimeError(f"{server.name} not ready after {deadline_s} s; see {server.log}")
        time.sleep(0.05)


def log_tail(log: Path, lines: int = 8) -> str:
    """The last lines of a server's log, for the results of a run in which it died (the log itself goes with
    the run's temporary folder)."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def spawn(name: str, argv: list[str], env: dict, port: int, path: str, work: Path) -> Server:
    log = work / f"{name}.log"
    process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=open(log, "wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(name, f"http://127.0.0.1:{port}{path}", process, f"http://127.0.0.1:{port}", log)
    server.watch()
    return server


def start_ours(name: str, corpus: Path, work: Path, env_extra: dict, argv_extra: tuple = ()) -> Server:
    """kg serve over the corpus: the store is loaded first (timed alone), then the server started on it."""
    stores = work / "stores-kg"
    env = {"KG_DIST": str(corpus), "KG_STORE_DIR": str(stores), "KG_PUBLIC_URL": "", "KG_PROCESSES": "auto",
           "KG_HTTP_SERVER": "", **env_extra}  # as shipped unless a variant says
    facts = {}
    if not stores.exists():
        code = ("import sys, time; from pathlib import Path; from kg.store import read_build, prepare_store; "
                "b = read_build(Path(sys.argv[1])); t = time.monotonic(); prepare_store(b, Path(sys.argv[2])); "
                "print(time.monotonic() - t)")
        t = time.monotonic()
        out = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code, str(corpus), str(stores)],
                             check=True, capture_output=True, text=True)
        facts["load_s"] = float(out.stdout.strip())
        facts["load_wall_s"] = time.monotonic() - t
    port = free_port()
    server = spawn(name, [str(ROOT / ".venv/bin/kg"), "serve", "--port", str(port), *argv_extra], env, port, "/sparql", work)
    facts["startup_s"] = wait_ready(server, 120)
    facts["disk_bytes"] = du(stores)
    several = re.search(r"(\d+) front-end processes", server.log.read_text(errors="replace"))
    facts["processes"] = int(several.group(1)) if several else 1  # as its start-up line says
    server.facts = facts
    return server


def start_oxigraph(corpus: Path, work: Path) -> Server:
    location = work / "store-oxigraph"
    binary = str(HERE / ".venv/bin/oxigraph")
    facts = {}
    if not location.exists():
        t = time.monotonic()
        subprocess.run([binary, "load", "--location", str(location), "--file", str(corpus / "dataset.nq")],
                       check=True, capture_output=True)
        facts["load_s"] = time.monotonic() - t
    port = free_port()
    # No --timeout-s: with it, Oxigraph 0.5's server keeps one thread per query for the whole timeout (the
    # same reported in OriginTrail/dkg#1757), and at 8,000 lookups/s at 10^6 it ran out of threads and died
    # ("Resource temporarily unavailable (os error 11)", then a panic) in a run of 2026-11-28, which that
    # lost (hence the record of a server that dies). Without it the peer pays nothing for a limit; the
    # bench's own --answer-timeout still bounds every request of the catalog pass.
    argv = [binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
            "--union-default-graph"]
    server = spawn("oxigraph", argv, {}, port, "/query", work)
    facts["startup_s"] = wait_ready(server, 120)
    facts["disk_bytes"] = du(location)
    server.facts = facts
    return server


def start_rdflib(corpus: Path, work: Path) -> Server:
    """rdflib-endpoint parses the file at start: its start-up is its load."""
    port = free_port()
    argv = [str(HERE / ".venv/bin/rdflib-endpoint"), "serve", str(corpus / "dataset.nq"), "--host", "127.0.0.1", "--port", str(port)]
    server = spawn("rdflib-endpoint", argv, {}, port, "/", work)
    t = wait_ready(server, 1800)
    server.facts = {"load_s": t, "startup_s": t, "disk_bytes": None}
    return server


def wrk(paths: list[str], origin: str, accept: str, conc: int, duration: float, script_dir: Path) -> dict:
    script = script_dir / f"wrk-{os.getpid()}-{threading.get_ident()}.lua"
    script.write_text(LUA % (", ".join(json.dumps(p) for p in paths), accept))
    argv = ["wrk", "-t", str(min(conc, 2)), "-c", str(conc), "-d", f"{math.ceil(duration)}s", "--timeout", "60s",
            "-s", str(script), origin]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out}")
    r = json.loads(line[len("WRKJSON "):])
    ok = r["requests"] - r["status_errors"]
    r["rps"] = ok / (r["duration_us"] / 1e6)
    return r


def get(url: str, accept: str, timeout: float = 120) -> tuple[int, float, bytes]:
    t = time.perf_counter()
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            return r.status, time.perf_counter() - t, body
    except urllib.error.HTTPError as err:
        return err.code, time.perf_counter() - t, err.read()


def query_path(server: Server, query: str) -> str:
    return urllib.parse.urlsplit(server.url).path + "?" + urllib.parse.urlencode({"query": query})


def catalog() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))}


def started_again(server: Server, restart: dict) -> Server:
    """``server`` stopped and a new one of its kind started, keeping the first start's facts (load and
    start-up times, on-disk size) and the highest peak memory of the two."""
    facts, peak = server.facts, server.peak_rss
    server.stop()
    fresh = restart[server.name]()
    fresh.facts, fresh.peak_rss = facts, max(peak, fresh.peak_rss)
    return fresh


def measure_size(label: str, corpus: Path, args, work: Path) -> dict:
    info = json.loads((corpus / "build.json").read_text())
    out: dict = {"corpus": label, "triples": info["triples"], "servers": {}, "cells": [], "catalog": {}}
    servers: list[Server] = []
    try:
        restart = {
            "kg": lambda: start_ours("kg", corpus, work, {}),
            "kg-nocache": lambda: start_ours("kg-nocache", corpus, work, {"KG_CACHE_ENTRIES": "0"}),
            "oxigraph": lambda: start_oxigraph(corpus, work),
            "rdflib-endpoint": lambda: start_rdflib(corpus, work),
        }
        if args.processes_variant >= 1:
            n = args.processes_variant
            restart[f"kg-{n}p"] = lambda: start_ours(f"kg-{n}p", corpus, work, {}, ("--processes", str(n)))
        if args.http_server_variant:
            h = args.http_server_variant
            restart[f"kg-{h}"] = lambda: start_ours(f"kg-{h}", corpus, work, {"KG_HTTP_SERVER": h})
            restart[f"kg-{h}-nocache"] = lambda: start_ours(f"kg-{h}-nocache", corpus, work,
                                                            {"KG_HTTP_SERVER": h, "KG_CACHE_ENTRIES": "0"})
        if args.rent:
            for name, env in RENT_VARIANTS.items():
                restart[name] = lambda name=name, env=env: start_ours(name, corpus, work, env)
        servers.append(restart["kg"]())
        if args.no_cache_variant or args.rent:
            servers.append(restart["kg-nocache"]())
        if args.processes_variant >= 1:
            servers.append(restart[f"kg-{args.processes_variant}p"]())
        if args.http_server_variant:
            servers.append(restart[f"kg-{args.http_server_variant}"]())
            if args.no_cache_variant:
                servers.append(restart[f"kg-{args.http_server_variant}-nocache"]())
        if args.rent:
            servers += [restart[name]() for name in RENT_VARIANTS]
        servers.append(restart["oxigraph"]())
        if info["triples"] <= args.rdflib_max_triples:
            servers.append(restart["rdflib-endpoint"]())
        else:
            out["skipped"] = {"rdflib-endpoint": f"not run above {args.rdflib_max_triples} triples (--rdflib-max-triples)"}
        queries = catalog()
        answers: dict[str, dict[str, str]] = {}  # server -> workload -> query, only what it answered in time
        for i, s in enumerate(servers):
            answers[s.name] = {}
            for name, q in {**WORKLOADS, **queries}.items():
                timeouts = sum("no answer" in why for why in out.get("failed", {}).get(s.name, {}).values())
                if timeouts >= args.max_timeouts and name not in WORKLOADS:
                    out.setdefault("failed", {}).setdefault(s.name, {})[name] = f"not tried after {timeouts} timeouts"
                    continue
                try:
                    status, _, body = get(s.origin + query_path(s, q), SELECT_JSON, args.answer_timeout)
                except TimeoutError:
                    # a server that evaluates in its event loop stays blocked: start it again
                    out.setdefault("failed", {}).setdefault(s.name, {})[name] = f"no answer within {args.answer_timeout:g} s"
                    s = servers[i] = started_again(s, restart)
                    continue
                if status != 200:
                    if name in WORKLOADS:
                        raise RuntimeError(f"{s.name} answered {status} to {name}: {body[:300]!r}")
                    out.setdefault("failed", {}).setdefault(s.name, {})[name] = f"HTTP {status}: {body[:200]!r}"
                    continue
                answers[s.name][name] = q
        # catalog latencies at concurrency 1 (median of --catalog-repeats), alternating servers per query
        for name, q in queries.items():
            for s in servers:
                if name not in answers[s.name]:
                    continue
                times = []
                for _ in range(args.catalog_repeats):
                    times.append(get(s.origin + query_path(s, q), SELECT_JSON)[1])
                out["catalog"].setdefault(s.name, {})[name] = statistics.median(times)
        everything = {**WORKLOADS, **queries}
        cases = [(w, [w]) for w in WORKLOADS] + [("e-catalog", list(queries))]
        for rnd in range(args.rounds):
            for conc in args.concurrency:
                for workload, qs in cases + [(p, None) for p in PAGES]:
                    order = servers[rnd % len(servers):] + servers[: rnd % len(servers)]
                    for s in order:
                        if qs is None and not s.name.startswith("kg"):
                            continue
                        if qs is None:
                            paths, accept = [PAGES[workload]], ("text/html" if "html" in workload else "text/turtle")
                        else:
                            paths = [query_path(s, everything[n]) for n in qs if n in answers[s.name]]
                            accept = SELECT_JSON
                            if not paths:
                                continue
                        try:
                            # a slow server gets time for a few rounds of its clients, within a cap
                            probe = max(get(s.origin + p, accept)[1] for p in paths[:3])
                            duration = min(max(args.duration, probe * conc * 3), args.max_duration)
                            r = wrk(paths, s.origin, accept, conc, duration, work)
                            if s.process.poll() is not None:
                                raise RuntimeError(f"{s.name} exited during the cell")
                        except (OSError, RuntimeError):
                            if s.process.poll() is None:
                                raise
                            # the server died under this cell (or before it): say so, start it again, go on
                            died = {"server": s.name, "workload": workload, "concurrency": conc, "round": rnd,
                                    "returncode": s.process.returncode, "log_tail": log_tail(s.log)}
                            out.setdefault("died", []).append(died)
                            print(f"  {label} r{rnd} c{conc} {workload:15} {s.name:16} DIED (exit {died['returncode']}); "
                                  f"restarted", flush=True)
                            servers[servers.index(s)] = started_again(s, restart)
                            continue
                        r.update(server=s.name, workload=workload, concurrency=conc, round=rnd)
                        out["cells"].append(r)
                        print(f"  {label} r{rnd} c{conc} {workload:15} {s.name:16} {r['rps']:9.1f}/s "
                              f"p50 {r['p50_us'] / 1000:8.2f} ms p99 {r['p99_us'] / 1000:8.2f} ms", flush=True)
    finally:
        for s in servers:
            s.stop()
            out["servers"][s.name] = {**s.facts, "peak_rss_bytes": s.peak_rss}
    return out


def median_cells(result: dict) -> dict:
    groups: dict = {}
    for c in result["cells"]:
        groups.setdefault((c["workload"], c["concurrency"], c["server"]), []).append(c)
    return {
        k: {m: statistics.median(c[m] for c in v) for m in ("rps", "p50_us", "p99_us")}
        | {"errors": sum(c["status_errors"] + c["socket_errors"] for c in v)}
        for k, v in groups.items()
    }


def fmt_rps(x: float | None) -> str:
    return "–" if x is None else (f"{x:,.0f}" if x >= 10 else f"{x:.2f}")


def markdown(run: dict) -> str:
    lines = [f"Run {run['started']} on {run['machine']}; load average at start {run['loadavg_start']}, at end "
             f"{run['loadavg_end']}. Medians of {run['rounds']} alternating rounds; wrk, {run['duration']} s per cell "
             f"(longer for slow servers, up to {run['max_duration']} s).", ""]
    for result in run["sizes"]:
        med = median_cells(result)
        names = list(result["servers"])
        peers = [n for n in names if not n.startswith("kg")]
        # every variant of ours against every peer: kg as shipped, then kg-nocache and the others measured
        pairs = [(o, p) for o in names if o.startswith("kg") for p in peers]
        lines += [f"### {result['corpus']}: {result['triples']:,} triples", ""]
        head = "| workload | c | " + " | ".join(f"{n} req/s (p50 / p99 ms)" for n in names) + " | " + " | ".join(f"{o} / {p}" for o, p in pairs) + " |"
        lines += [head, "|" + " --- |" * (2 + len(names) + len(pairs))]
        workloads = sorted({k[0] for k in med})
        for conc in run["concurrency"]:
            for w in workloads:
                row = [w, str(conc)]
                for n in names:
                    m = med.get((w, conc, n))
                    row.append("–" if m is None else f"{fmt_rps(m['rps'])} ({m['p50_us'] / 1000:.2f} / {m['p99_us'] / 1000:.2f})"
                               + (f" {m['errors']} err" if m["errors"] else ""))
                for o, p in pairs:
                    ours, peer = med.get((w, conc, o)), med.get((w, conc, p))
                    row.append(f"{ours['rps'] / peer['rps']:.2f}x" if ours and peer and peer["rps"] > 0 else "–")
                lines.append("| " + " | ".join(row) + " |")
        for conc in run["concurrency"]:
            for o, p in pairs:
                ratios = [med[(w, conc, o)]["rps"] / med[(w, conc, p)]["rps"] for w in
                          ("a-lookup", "b-label-search", "c-group-sum", "d-multi-join", "e-catalog")
                          if (w, conc, p) in med and med[(w, conc, p)]["rps"] > 0 and (w, conc, o) in med]
                if len(ratios) == 5:
                    lines.append(f"\nGeometric mean of {o} / {p} over (a)–(e) at concurrency {conc}: "
                                 f"{statistics.geometric_mean(ratios):.2f}x")
        if any(off in names for _, _, off, _ in RENT):
            lines += ["", *rent(med, names, run["concurrency"])]
        lines += ["", "Cost (kg's catalog latencies are answers from its caches, warmed by the correctness pass; "
                  "kg-nocache's are evaluations):", "",
                  "| server | processes | load s | start-up s | peak RSS MB | on disk MB | slowest catalog query ms (c=1) | catalog median ms |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for n, f in result["servers"].items():
            cat = result["catalog"].get(n, {})
            slow = max(cat.items(), key=lambda kv: kv[1]) if cat else None
            front = f"| {n} | {f.get('processes', '–')} |"  # kg's front-end processes, as it said at start-up
            lines.append(f"{front} {cost_cells(f)}"
                         + (f" | {slow[1] * 1000:.1f} ({slow[0]}) | {statistics.median(cat.values()) * 1000:.1f} |" if slow else " | – | – |"))
        for n, why in result.get("skipped", {}).items():
            lines.append(f"\n{n}: {why}")
        for d in result.get("died", []):
            lines.append(f"\n{d['server']} died during round {d['round']}, c={d['concurrency']}, {d['workload']} "
                         f"(exit {d['returncode']}); started again, that cell left out. Its log ended: "
                         + " / ".join(ln.strip() for ln in d["log_tail"].splitlines() if ln.strip())[-400:])
        for n, failed in result.get("failed", {}).items():
            lines.append(f"\n{n} left {len(failed)} catalog queries out of its (e) and catalog latencies (so its (e) "
                         f"is the easier part of the catalog): " + "; ".join(f"{q}: {why}" for q, why in failed.items()))
        lines.append("")
    if len(run["sizes"]) > 1:
        lines += growth(run)
    return "\n".join(lines) + "\n"


def rent(med: dict, names: list[str], concurrency: list[int]) -> list[str]:
    """The rent table of one size: each mechanism's requests/s on and off (medians of the rounds), on every
    workload it is for, and the gain (on / off - 1); the best gain of each mechanism decides, against the
    15% it must earn (docs/performance.md)."""
    lines = ["Rent (`--rent`): each mechanism on and off, requests/s, medians of the rounds:", "",
             "| mechanism | on | off | c | " + " | ".join(f"({w[0]})" if not w.startswith("f") else w[2:]
                                                       for w in EVERY) + " | best gain |",
             "| --- | --- | --- | --- |" + " --- |" * (len(EVERY) + 1)]
    for mechanism, on, off, workloads in RENT:
        if on not in names or off not in names:
            continue
        for conc in concurrency:
            cells, gains = [], []
            for w in EVERY:
                a, b = med.get((w, conc, on)), med.get((w, conc, off))
                if w not in workloads or not a or not b or b["rps"] <= 0:
                    cells.append("")
                    continue
                gain = a["rps"] / b["rps"] - 1
                gains.append((gain, w))
                cells.append(f"{fmt_rps(a['rps'])} / {fmt_rps(b['rps'])} ({gain:+.0%})")
            best = max(gains) if gains else None
            lines.append(f"| {mechanism} | {on} | {off} | {conc} | " + " | ".join(cells)
                         + f" | {f'{best[0]:+.0%} ({best[1]})' if best else '–'} |")
    return lines


def cost_cells(facts: dict) -> str:
    """A server's load time, start-up, peak memory and size on disk as table cells (the per-size cost table
    and the cost growth table)."""
    load = f"{facts['load_s']:.2f}" if "load_s" in facts else "(shared)"  # kg-nocache opens kg's store
    disk = f"{facts['disk_bytes'] / 2**20:.1f}" if facts.get("disk_bytes") is not None else "in memory"
    return f"{load} | {facts['startup_s']:.2f} | {facts['peak_rss_bytes'] / 2**20:.0f} | {disk}"


def growth(run: dict) -> list[str]:
    """One table of each server's costs at every size of the run, so a reader sees how they grow with the
    data (the same numbers as the per-size cost tables, read across)."""
    lines = ["### Cost growth", "",
             "Each server at every size of this run (catalog latencies at one client: kg's from its caches, the "
             "others' evaluated):", "",
             "| server | corpus | triples | load s | start-up s | peak RSS MB | on disk MB | catalog median ms | slowest catalog query ms |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    names = list(dict.fromkeys(n for result in run["sizes"] for n in result["servers"]))
    for n in names:
        for result in run["sizes"]:
            f = result["servers"].get(n)
            if f is None:
                continue
            cat = result["catalog"].get(n, {})
            cats = (f"{statistics.median(cat.values()) * 1000:.1f} | {max(cat.values()) * 1000:.1f} "
                    f"({len(cat)} answered)") if cat else "– | –"
            lines.append(f"| {n} | {result['corpus']} | {result['triples']:,} | {cost_cells(f)} | {cats} |")
    return lines + [""]


SIZES = {"report": None, "1e4": 10_000, "1e5": 100_000, "1e6": 1_000_000}


def render(path: Path) -> None:
    """Rewrite the Markdown of a run from its JSON (``--render bench/results/STAMP.json``)."""
    path.with_suffix(".md").write_text(markdown(json.loads(path.read_text())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="report,1e4,1e5,1e6", help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per cell (wrk -d)")
    parser.add_argument("--max-duration", type=float, default=20.0)
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--catalog-repeats", type=int, default=5)
    parser.add_argument("--answer-timeout", type=float, default=30.0,
                        help="a peer that does not answer a catalog query within this leaves it out of its (e)")
    parser.add_argument("--max-timeouts", type=int, default=3,
                        help="after this many catalog queries without an answer, a server's other ones are not tried")
    parser.add_argument("--rdflib-max-triples", type=int, default=200_000)
    parser.add_argument("--no-cache-variant", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure our server with its result and response caches off (kg-nocache)")
    parser.add_argument("--http-server-variant", choices=["granian", "uvicorn"], default=None,
                        help="also measure kg serve with this HTTP server (kg-NAME, and kg-NAME-nocache unless "
                             "--no-no-cache-variant); kg itself runs the default, granian")
    parser.add_argument("--processes-variant", type=int, default=0, metavar="N",
                        help="also measure kg serve --processes N (kg-Np), caches on; 1 for one process")
    parser.add_argument("--rent", action="store_true",
                        help="also measure every speed layer off (RENT_VARIANTS) and write the rent table")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--render", type=Path, help="only rewrite the Markdown of this run's JSON")
    args = parser.parse_args()
    if args.render:
        render(args.render)
        return
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is missing (apt-get install wrk)")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run = {
        "started": stamp,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
                   f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') // 2**30} GB RAM",
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "rounds": args.rounds, "duration": args.duration, "max_duration": args.max_duration,
        "concurrency": args.concurrency, "sizes": [],
    }
    with tempfile.TemporaryDirectory(prefix="kg-bench-", dir=RESULTS) as tmp:
        for label in args.sizes.split(","):
            work = Path(tmp) / label
            work.mkdir()
            corpus = args.dist if SIZES[label] is None else work / "corpus"
            if SIZES[label] is not None:
                generate(args.dist, corpus, SIZES[label])
            print(f"{label}: measuring", flush=True)
            run["sizes"].append(measure_size(label, corpus, args, work))
            run["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
            (RESULTS / f"{stamp}.json").write_text(json.dumps(run, indent=1) + "\n")
            (RESULTS / f"{stamp}.md").write_text(markdown(run))
    print((RESULTS / f"{stamp}.md").read_text())
    print(f"bench: wrote {RESULTS / stamp}.md and .json")


if __name__ == "__main__":
    main()
