"""bench/run.py's report of a run (its Markdown, rendered again by ``--render`` from the run's JSON): the cost
growth table reads each server across every size, and a server that died during a cell is said, with the end
of its log."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_run_module():
    sys.path.insert(0, str(ROOT / "bench"))  # run.py imports corpus.py beside it, as when run as a script
    try:
        spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


def cell(server: str, workload: str, conc: int, rps: float) -> dict:
    return {"server": server, "workload": workload, "concurrency": conc, "round": 0, "rps": rps,
            "p50_us": 1000, "p99_us": 2000, "status_errors": 0, "socket_errors": 0}


def size(label: str, triples: int, kg_load: float, peer_rss_mb: int, died: list | None = None) -> dict:
    result = {
        "corpus": label, "triples": triples,
        "servers": {
            "kg": {"load_s": kg_load, "startup_s": 0.7, "peak_rss_bytes": 400 * 2**20, "disk_bytes": 3 * 2**20, "processes": 2},
            "oxigraph": {"load_s": 0.1, "startup_s": 0.05, "peak_rss_bytes": peer_rss_mb * 2**20, "disk_bytes": 2**20},
        },
        "cells": [cell("kg", "a-lookup", 1, 100.0), cell("oxigraph", "a-lookup", 1, 50.0)],
        "catalog": {"kg": {"01-a": 0.001, "02-b": 0.003}, "oxigraph": {"01-a": 0.002, "02-b": 0.010, "03-c": 0.004}},
    }
    if died:
        result["died"] = died
    return result


def test_the_cost_growth_table_reads_every_server_across_the_sizes_of_a_run():
    run_module = load_run_module()
    run = {"started": "T", "machine": "m", "loadavg_start": "0", "loadavg_end": "1", "rounds": 1, "duration": 2.0,
           "max_duration": 20.0, "concurrency": [1],
           "sizes": [size("report", 6072, 0.05, 35), size("1e6", 1001880, 6.0, 603)]}
    text = run_module.markdown(run)
    growth = text[text.index("### Cost growth"):]
    rows = [line for line in growth.splitlines() if line.startswith("| kg |") or line.startswith("| oxigraph |")]
    assert rows == [
        "| kg | report | 6,072 | 0.05 | 0.70 | 400 | 3.0 | 2.0 | 3.0 (2 answered) |",
        "| kg | 1e6 | 1,001,880 | 6.00 | 0.70 | 400 | 3.0 | 2.0 | 3.0 (2 answered) |",
        "| oxigraph | report | 6,072 | 0.10 | 0.05 | 35 | 1.0 | 4.0 | 10.0 (3 answered) |",
        "| oxigraph | 1e6 | 1,001,880 | 0.10 | 0.05 | 603 | 1.0 | 4.0 | 10.0 (3 answered) |",
    ]
    assert "| a-lookup | 1 | 100 (1.00 / 2.00) | 50 (1.00 / 2.00) | 2.00x |" in text
    one = run_module.markdown({**run, "sizes": run["sizes"][:1]})
    assert "### Cost growth" not in one  # one size: nothing to read across


def test_a_server_that_died_is_said_with_the_end_of_its_log(tmp_path):
    run_module = load_run_module()
    log = tmp_path / "oxigraph.log"
    log.write_text("".join(f"line {n}\n" for n in range(20)) + "Internal server error: Resource temporarily unavailable\n")
    tail = run_module.log_tail(log)
    assert tail.splitlines() == [f"line {n}" for n in range(13, 20)] + ["Internal server error: Resource temporarily unavailable"]
    assert run_module.log_tail(tmp_path / "missing.log") == ""
    died = [{"server": "oxigraph", "workload": "b-label-search", "concurrency": 16, "round": 1, "returncode": -6,
             "log_tail": tail}]
    run = {"started": "T", "machine": "m", "loadavg_start": "0", "loadavg_end": "1", "rounds": 2, "duration": 2.0,
           "max_duration": 20.0, "concurrency": [1], "sizes": [size("1e6", 1001880, 6.0, 603, died)]}
    text = run_module.markdown(run)
    said = next(line for line in text.splitlines() if line.startswith("oxigraph died"))
    assert said.startswith("oxigraph died during round 1, c=16, b-label-search (exit -6); started again, that cell left out.")
    assert said.endswith("line 19 / Internal server error: Resource temporarily unavailable")


def test_every_variant_of_ours_has_its_ratios_to_every_peer():
    run_module = load_run_module()
    workloads = ("a-lookup", "b-label-search", "c-group-sum", "d-multi-join", "e-catalog")
    result = size("1e5", 103224, 0.6, 97)
    result["servers"]["kg-nocache"] = {"startup_s": 0.7, "peak_rss_bytes": 400 * 2**20, "disk_bytes": 3 * 2**20}
    result["servers"] = {n: result["servers"][n] for n in ("kg", "kg-nocache", "oxigraph")}
    result["cells"] = [cell(server, w, 16, rps) for w in workloads
                       for server, rps in (("kg", 400.0), ("kg-nocache", 50.0), ("oxigraph", 100.0))]
    text = run_module.markdown({"started": "T", "machine": "m", "loadavg_start": "0", "loadavg_end": "1", "rounds": 1,
                                "duration": 2.0, "max_duration": 20.0, "concurrency": [16], "sizes": [result]})
    assert ("| workload | c | kg req/s (p50 / p99 ms) | kg-nocache req/s (p50 / p99 ms) | oxigraph req/s (p50 / p99 ms)"
            " | kg / oxigraph | kg-nocache / oxigraph |") in text
    assert "| a-lookup | 16 | 400 (1.00 / 2.00) | 50 (1.00 / 2.00) | 100 (1.00 / 2.00) | 4.00x | 0.50x |" in text
    assert "Geometric mean of kg / oxigraph over (a)–(e) at concurrency 16: 4.00x" in text
    assert "Geometric mean of kg-nocache / oxigraph over (a)–(e) at concurrency 16: 0.50x" in text
