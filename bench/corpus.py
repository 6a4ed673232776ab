"""A seeded, deterministic corpus of documents shaped like ours, for the benchmarks.

Each document is a copy of the real build's ``dataset.nq`` (its observations, events and time-spans,
places, passages and annotations, labels, VoID partitions), so every query shape of the catalog meets
the data it was written for. Document 0 is the report itself, unchanged, so catalog queries that name
one of our IRIs keep their answers; document N > 0 moves every IRI under ``<base>id/`` to
``<base>id/dN/``, appends `` N`` to its preferred labels, scales its integer figures and shifts its
date bounds by a few years, all drawn from ``random.Random(seed)`` so the same build, size and seed give
the same bytes. Documents are whole: the corpus holds ``ceil(target / quads per document)`` of them.

    python bench/corpus.py --triples 100000 --out bench/corpora/1e5   (from a build in dist/)

writes a folder ``kg serve`` serves through ``KG_DIST``: ``dataset.nq``, ``build.json``, and the
ontology and shapes copied from the build.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import shutil
from pathlib import Path

INTEGER = re.compile(r'"(-?\d+)"\^\^<http://www\.w3\.org/2001/XMLSchema#integer>')
DATETIME = re.compile(r'"(\d{4})(-\d\d-\d\dT[^"]*)"\^\^<http://www\.w3\.org/2001/XMLSchema#dateTime>')
PREFLABEL = re.compile(r'(<http://www\.w3\.org/2004/02/skos/core#prefLabel> "(?:[^"\\]|\\.)*)(")')
COPIED = ("ontology.ttl", "shapes.ttl")


def documents(template: list[str], base: str, count: int, seed: int):
    """The lines of ``count`` documents made from ``template`` (N-Quads lines of the real build)."""
    rng = random.Random(seed)
    ids = "<" + base + "id/"
    metadata = "<" + base + "graph/metadata>"
    yield from template
    for n in range(1, count):
        factor = rng.uniform(0.5, 1.5)
        years = rng.randint(-3, 3)
        moved = ids + f"d{n}/"
        for line in template:
            line = line.replace(ids, moved)
            if metadata not in line:  # VoID counts describe the document as it is: keep them
                line = INTEGER.sub(lambda m: f'"{max(1, round(int(m.group(1)) * factor))}"^^<http://www.w3.org/2001/XMLSchema#integer>', line)
            line = DATETIME.sub(lambda m: f'"{int(m.group(1)) + years:04d}{m.group(2)}"^^<http://www.w3.org/2001/XMLSchema#dateTime>', line)
            line = PREFLABEL.sub(lambda m: f"{m.group(1)} {n}{m.group(2)}", line)
            yield line


def generate(dist: Path, out: Path, triples: int, seed: int = 1959) -> dict:
    """Write a corpus of at least ``triples`` quads (whole documents) into ``out``; return its build.json."""
    meta = json.loads((dist / "build.json").read_text(encoding="utf-8"))
    template = [line for line in (dist / "dataset.nq").read_text(encoding="utf-8").splitlines(keepends=True) if line.strip()]
    count = max(1, math.ceil(triples / len(template)))
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    with open(out / "dataset.nq", "w", encoding="utf-8") as f:
        for line in documents(template, meta["base_iri"], count, seed):
            f.write(line)
            digest.update(line.encode())
            written += 1
    for name in COPIED:
        if (dist / name).is_file():
            shutil.copyfile(dist / name, out / name)
    info = {
        "generated_by": "bench/corpus.py (generated file, do not edit)",
        "version": f"bench-{written}-{digest.hexdigest()[:12]}",
        "base_iri": meta["base_iri"],
        "triples": written,
        "documents": count,
        "seed": seed,
        "template_version": meta["version"],
    }
    (out / "build.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="the build whose dataset.nq is the template")
    parser.add_argument("--triples", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1959)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    info = generate(args.dist, args.out, args.triples, args.seed)
    print(f"{args.out}: {info['triples']} quads in {info['documents']} documents ({info['version']})")


if __name__ == "__main__":
    main()
