"""What naming the dataset costs `kg serve --store` (KG_STORE_DATASET=named, the default, against union).

Loads a generated corpus (``corpus.py``) into Oxigraph's own server started with ``--union-default-graph``,
then answers the example catalog through kg's remote engine both ways over that one server, alternating
per query: with the build's graphs sent as ``default-graph-uri``/``named-graph-uri`` (named), and with no
dataset, the server's union default graph answering (union). Prints each query's fastest of ``--rounds``
times per mode, the totals and their ratio; the answers of the two modes are compared too, as sets of rows
(they must be the same: the corpus has nothing outside the build's graphs).

    .venv/bin/python bench/store_dataset.py --triples 100000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import generate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from stores import OXIGRAPH, start_oxigraph  # noqa: E402

from kg import catalog  # noqa: E402
from kg.iris import Iris  # noqa: E402
from kg.sparql.remote import RemoteEngine  # noqa: E402
from kg.sparql.engine import Job  # noqa: E402
from kg.store import read_build  # noqa: E402


def solutions(body: bytes):
    """An answer's solutions as a sorted list (the order of rows a query does not fix may differ), or its boolean."""
    answer = json.loads(body)
    if "boolean" in answer:
        return answer["boolean"]
    return sorted(json.dumps(row, sort_keys=True) for row in answer["results"]["bindings"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="the build the corpus is made from")
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-store-dataset-") as tmp:
        corpus, location = Path(tmp) / "corpus", Path(tmp) / "store"
        info = generate(args.dist, corpus, args.triples)
        subprocess.run([str(OXIGRAPH), "load", "--location", str(location), "--file", str(corpus / "dataset.nq")],
                       check=True, capture_output=True)
        store = start_oxigraph(location, "--union-default-graph")
        try:
            build = read_build(corpus)
            graphs = Iris(build.base_iri).graph_iris()
            modes = {
                "named": RemoteEngine(store.query, version=build.version, timeout=300, prefixes={}, graphs=graphs),
                "union": RemoteEngine(store.query, version=build.version, timeout=300, prefixes={}, graphs=graphs,
                                      name_dataset=False),
            }
            totals = {mode: 0.0 for mode in modes}
            print(f"{info['triples']:,} triples; Oxigraph's server, --union-default-graph; fastest of {args.rounds}, ms")
            print(f"{'query':45} {'named':>9} {'union':>9} {'ratio':>6}")
            ratios = []
            for query in catalog.load_catalog(ROOT):
                times: dict[str, list[float]] = {mode: [] for mode in modes}
                bodies = {}
                for _ in range(args.rounds):
                    for mode, engine in modes.items():
                        job = Job(query.text, "json", base_iri=build.base_iri, max_rows=1_000_000)
                        started = time.perf_counter()
                        bodies[mode] = engine.run(job).body
                        times[mode].append((time.perf_counter() - started) * 1000)
                if solutions(bodies["named"]) != solutions(bodies["union"]):
                    print(f"{query.name}: the two modes answered differently", file=sys.stderr)
                    sys.exit(1)
                best = {mode: min(t) for mode, t in times.items()}
                for mode in modes:
                    totals[mode] += best[mode]
                ratios.append(best["named"] / best["union"])
                print(f"{query.name[:45]:45} {best['named']:9.1f} {best['union']:9.1f} {ratios[-1]:5.2f}x")
            print(f"{'catalog in all':45} {totals['named']:9.1f} {totals['union']:9.1f} "
                  f"{totals['named'] / totals['union']:5.2f}x (median ratio {statistics.median(ratios):.2f}x)")
        finally:
            store.stop()


if __name__ == "__main__":
    main()
