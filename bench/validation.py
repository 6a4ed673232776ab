"""Where the time goes when validating about 10^5 triples shaped like ours against the full shapes.

The data is the real build's union graph copied N times: copy 0 unchanged, copy n > 0 with every IRI under
``<base>id/`` moved to ``<base>id/c{n}-…`` (the same trick as a user's file about other documents), so every
shape meets the data it was written for. Phases are timed one by one, as the service runs them: reading the
N-Quads (``kg.inputs.read_graph``), then each part of validating:

    .venv/bin/python bench/validation.py [--triples 100000] [--engine kg|pyshacl|both] [--rounds N] [--out FILE] [--profile]

(from a build in dist/; not part of ``make test``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time

import kg.validation.run
from kg.build import authored
from kg.validation import compile as shacl_compile
from kg.validation import report as shacl_report
from kg.validation.engine import Engine
from kg.validation import sparql as shacl_sparql
from kg.config import Settings
from kg.inputs import read_graph
from kg.iris import Iris
from kg.validation.run import load_shapes, validate_graph, violation_queries


# Kinds whose IRIs the shapes tie to their content (a passage names its offsets, a time-span its date) or
# name themselves (concept schemes, the ministry, the data set and its structure): copies share them.
SHARED = ("passage", "text", "time-span", "concept", "scheme", "dataset", "structure", "document",
          "organization", "person")


def replicated(nq: str, base: str, target: int) -> str:
    """Copies of the build's quads until their union holds ``target`` triples: copy n renames every node of
    the other kinds (events, observations, places, statements, proposals, instruments, annotations) with a
    suffix ``-c{n}`` on its slug, so each copy is another set of claims resting on the same text."""
    lines = [line for line in nq.splitlines() if line.strip()]
    kinds = re.compile("<" + re.escape(base) + r"id/(?!(?:" + "|".join(map(re.escape, SHARED)) + r")/)([a-z-]+/[a-z0-9-]+)")
    seen = set(lines)
    out = list(lines)
    n = 0
    while len(seen) < target:
        n += 1
        for line in lines:
            moved = kinds.sub(lambda m: f"<{base}id/{m.group(1)}-c{n}", line)
            if moved not in seen:
                seen.add(moved)
                out.append(moved)
    return "\n".join(out) + "\n"


PHASES: dict[str, float] = {}


def timed(owner, name: str, label: str) -> None:
    """Wrap ``owner.name`` so the seconds spent in it add up under ``label``."""
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            PHASES[label] = PHASES.get(label, 0.0) + time.perf_counter() - t

    setattr(owner, name, wrapper)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, default=100_000)
    ap.add_argument("--engine", default="kg", choices=("kg", "pyshacl", "both"),
                    help="both: each round validates with kg's engine and with pyshacl, one after the other, and "
                         "the summary gives the medians, their ratio and whether the two reports are the same")
    ap.add_argument("--out", help="also write the summary (Markdown) to this file, e.g. bench/results/<stamp>-validation.md")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--rounds", type=int, default=1, help="validate this many times (the machine may be busy)")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    nq = (settings.dist_dir / "dataset.nq").read_text(encoding="utf-8")
    text = replicated(nq, settings.base_iri, args.triples)
    t1 = time.perf_counter()
    shapes = load_shapes(settings)
    ontology = authored.parse_turtle(settings.root / authored.ONTOLOGY, Iris(settings.base_iri))
    checks = violation_queries(settings)
    t2 = time.perf_counter()
    timed(shacl_compile, "plan", "compile shapes (kg.validation.compile)")
    timed(Engine, "run", "SHACL Core with the SHACL-SPARQL in it (kg.validation.engine)")
    timed(shacl_sparql, "load", "  of which loading the pyoxigraph store")
    timed(shacl_sparql, "rows", "  of which SHACL-SPARQL queries (pyoxigraph)")
    timed(shacl_report, "write", "report graph (kg.validation.report)")
    timed(kg.validation.run, "shacl_validate", "pyshacl (engine=pyshacl, or shapes kg's engine leaves)")
    timed(shacl_sparql, "evaluate", "SHACL-SPARQL beside pyshacl (pyoxigraph)")
    timed(shacl_sparql, "load_store", "pyoxigraph load (engine=pyshacl: the violation queries' store)")
    timed(kg.validation.run, "_run_checks", "violation queries (pyoxigraph)")
    prof = cProfile.Profile() if args.profile else None
    print(f"{len(text.encode()) / 2**20:.1f} MiB of N-Quads; shapes {t2 - t1:.2f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    engines = ("kg", "pyshacl") if args.engine == "both" else (args.engine,)
    times: dict[str, list[tuple[float, float]]] = {e: [] for e in engines}  # (parse, validate) wall seconds
    found: dict[str, set] = {}
    triples = 0
    for _ in range(args.rounds):
        for engine in engines:
            PHASES.clear()
            if prof:
                prof.enable()
            wall, cpu = time.perf_counter(), time.process_time()
            data = read_graph(text, "nquads", "bench")  # as POST /validate and kg validate read the user's data
            parse_wall, parse_cpu = time.perf_counter() - wall, time.process_time() - cpu
            report = validate_graph(data, shapes, ontology, checks, engine=engine)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if prof:
                prof.disable()
            triples = len(data)
            times[engine].append((parse_wall, wall - parse_wall))
            found[engine] = {(r.focus, r.path, r.component, r.value, r.shape) for r in report.results}
            print(f"parse and validate ({engine}), {len(data)} triples: {wall:.2f} s wall, {cpu:.2f} s CPU of "
                  f"this process, load average {os.getloadavg()[0]:.1f}; {len(report.results)} results")
            print(f"  parse (kg.inputs.read_graph): {parse_wall:.2f} s wall, {parse_cpu:.2f} s CPU")
            print(f"  validate: {wall - parse_wall:.2f} s wall, {cpu - parse_cpu:.2f} s CPU")
            for label, seconds in PHASES.items():
                print(f"  {label}: {seconds:.2f} s")
    if prof:
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
    summary = _summary(times, found, triples, args.rounds)
    print(summary)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(summary)
    return 0


def _summary(times: dict, found: dict, triples: int, rounds: int) -> str:
    median = {e: (statistics.median(p for p, _ in t), statistics.median(v for _, v in t)) for e, t in times.items()}
    lines = [f"# Validation at {triples:,} triples ({rounds} rounds, medians, wall seconds)", "",
             f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; `bench/validation.py`", "",
             "| engine | parse | validate | parse and validate |", "| --- | ---: | ---: | ---: |"]
    for e, (p, v) in median.items():
        lines.append(f"| {e} | {p:.2f} | {v:.2f} | {p + v:.2f} |")
    if len(median) == 2:
        ratio = median["pyshacl"][1] / median["kg"][1]
        lines += ["", f"pyshacl / kg, validate: {ratio:.1f}x. Reports "
                      + ("the same" if found["kg"] == found["pyshacl"] else "DIFFER")
                      + f" ({len(found['kg'])} results by focus, path, component, value and shape)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
