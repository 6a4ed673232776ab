"""bench/corpus.py, the benchmarks' generated corpus: seeded and deterministic, whole documents, document 0
the build itself, the others with IRIs of their own (so they never merge into the report's resources)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

from pyoxigraph import RdfFormat, Store

ROOT = Path(__file__).resolve().parent.parent


def load_corpus_module():
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(built, settings, tmp_path):
    corpus = load_corpus_module()
    dist = settings.dist_dir
    template = [line for line in (dist / "dataset.nq").read_text(encoding="utf-8").splitlines() if line.strip()]
    target = 2 * len(template) + 1  # three whole documents
    a = corpus.generate(dist, tmp_path / "a", target)
    b = corpus.generate(dist, tmp_path / "b", target)
    c = corpus.generate(dist, tmp_path / "c", target, seed=7)
    assert (tmp_path / "a" / "dataset.nq").read_bytes() == (tmp_path / "b" / "dataset.nq").read_bytes()
    assert a == b and a["version"] != c["version"]
    assert a["documents"] == 3 == math.ceil(target / len(template))
    assert a["triples"] == 3 * len(template)
    lines = (tmp_path / "a" / "dataset.nq").read_text(encoding="utf-8").splitlines()
    assert lines[: len(template)] == template  # document 0 is the report, unchanged
    assert all("/id/d1/" in line or "/id/" not in line.split(" ", 1)[0] for line in lines[len(template): 2 * len(template)])


def test_documents_parse_and_keep_their_resources_apart(built, settings, tmp_path):
    corpus = load_corpus_module()
    dist = settings.dist_dir
    info = corpus.generate(dist, tmp_path / "a", 2)  # at least two triples: one document
    assert info["documents"] == 1
    info = corpus.generate(dist, tmp_path / "b", info["triples"] + 1)
    store = Store()
    store.bulk_load(path=str(tmp_path / "b" / "dataset.nq"), format=RdfFormat.N_QUADS)
    jilin = "https://kg.example.org/id/place/jilin"
    labels = {str(r["label"]) for r in store.query(
        "SELECT ?label WHERE { GRAPH ?g { ?p <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } "
        f"FILTER (?p IN (<{jilin}>, <https://kg.example.org/id/d1/place/jilin>) && LANG(?label) = 'en') }}")}
    assert labels == {'"Jilin Province"@en', '"Jilin Province 1"@en'}
