"""A small on-disk store for the engine tests (worker pool, result cache): 40 subjects, each with one
language-tagged literal, alternating between two named graphs; and its N-Quads copy, which workers load into
memory instead (``store_nquads``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.store import memory_copy, prepare_store, read_build

G = "http://example.org/graph/"  # named graphs G + "a" and G + "b"


@pytest.fixture(scope="session")
def store_dist(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    quads = [f'<http://example.org/s{i}> <http://example.org/p> "v{i}"@en <{G}{"a" if i % 2 else "b"}> .\n'
             for i in range(40)]
    (dist / "dataset.nq").write_text("".join(quads), encoding="utf-8")
    (dist / "build.json").write_text(json.dumps({"version": "test1", "base_iri": "http://example.org/", "triples": 40}))
    return dist


@pytest.fixture(scope="session")
def store_path(store_dist, tmp_path_factory) -> str:
    return str(prepare_store(read_build(store_dist), tmp_path_factory.mktemp("stores")))


@pytest.fixture(scope="session")
def store_nquads(store_dist, store_path) -> str:
    return str(memory_copy(read_build(store_dist), Path(store_path)))
