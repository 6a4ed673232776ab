"""kg.store: loading dist/dataset.nq into the on-disk store (in parallel parts), the in-memory copy for small
builds, and their failure modes."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import Store

from kg.store import StoreError, _line_cuts, bulk_load, memory_copy, open_for_queries, prepare_store, read_build

LINES = [f'<http://example.org/s{i}> <http://example.org/p> "value {i} with a \\" quote" <http://example.org/g{i % 3}> .\n'
         for i in range(500)]


def quads(store: Store) -> set[str]:
    return {str(q) for q in store}


@pytest.fixture()
def nquads(tmp_path):
    path = tmp_path / "dataset.nq"
    path.write_text("".join(LINES), encoding="utf-8")
    return path


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_parallel_parts_load_the_same_quads_as_one(nquads, tmp_path, parts):
    one, many = Store(), Store(str(tmp_path / f"db{parts}"))
    bulk_load(one, nquads, parts=1)
    bulk_load(many, nquads, parts=parts)
    assert len(one) == len(LINES)
    assert quads(many) == quads(one)


def test_cuts_fall_just_after_line_ends(nquads):
    data = nquads.read_bytes()
    for parts in (1, 2, 5, 499, 500, 2000):
        cuts = _line_cuts(nquads, len(data), parts)
        assert cuts[0] == 0 and cuts[-1] == len(data)
        assert cuts == sorted(set(cuts))
        assert all(data[c - 1:c] == b"\n" for c in cuts[1:-1])
        assert len(cuts) - 1 <= parts


def test_a_file_without_a_final_line_end_still_loads_whole(tmp_path):
    path = tmp_path / "d.nq"
    path.write_text("".join(LINES).rstrip("\n"), encoding="utf-8")
    store = Store()
    bulk_load(store, path, parts=4)
    assert len(store) == len(LINES)


@pytest.mark.parametrize("parts", [1, 4])
def test_a_syntax_error_names_its_line_in_the_whole_file(tmp_path, parts):
    broken = LINES[:400] + ['<http://example.org/s> <http://example.org/p> "unterminated .\n'] + LINES[400:]
    path = tmp_path / "d.nq"
    path.write_text("".join(broken), encoding="utf-8")
    with pytest.raises(SyntaxError, match=r"^line 401 column \d+: "):
        bulk_load(Store(), path, parts=parts)


def build_dir(tmp_path, body: str):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "dataset.nq").write_text(body, encoding="utf-8")
    (dist / "build.json").write_text(json.dumps({"version": "v1", "base_iri": "https://kg.example.org/", "triples": 1}),
                                     encoding="utf-8")
    return read_build(dist)


def test_a_broken_dataset_leaves_no_store_behind(tmp_path):
    build = build_dir(tmp_path, "".join(LINES[:10]) + "<http://example.org/s> <oops\n")
    root = tmp_path / "stores"
    with pytest.raises(StoreError, match=r"dataset\.nq does not parse: line 11 column \d+"):
        prepare_store(build, root)
    assert list(root.iterdir()) == []


def test_a_prepared_store_is_reused(tmp_path):
    build = build_dir(tmp_path, "".join(LINES))
    root = tmp_path / "stores"
    path = prepare_store(build, root)
    assert (root / "v1" / "LOADED").is_file()
    assert len(Store.read_only(str(path))) == len(LINES)
    stamp = (root / "v1" / "LOADED").stat().st_mtime_ns
    assert prepare_store(build, root) == path
    assert (root / "v1" / "LOADED").stat().st_mtime_ns == stamp


def test_the_memory_copy_is_the_served_version_even_after_a_rebuild(tmp_path):
    build = build_dir(tmp_path, "".join(LINES))
    path = prepare_store(build, tmp_path / "stores")
    copy = memory_copy(build, path)
    assert copy == path.parent / "dataset.nq" and copy.read_bytes() == build.path("dataset.nq").read_bytes()
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    build.path("dataset.nq").write_text(LINES[0], encoding="utf-8")  # dist/ rebuilt while serving
    assert memory_copy(build, path) == copy and len(open_for_queries(path, copy)) == len(LINES)


def test_a_failed_memory_copy_leaves_nothing_behind(tmp_path):
    build = build_dir(tmp_path, "".join(LINES))
    path = prepare_store(build, tmp_path / "stores")
    build.path("dataset.nq").unlink()
    with pytest.raises(StoreError, match=r"cannot copy .*dist/dataset\.nq to .*v1/dataset\.nq .*: No such file"):
        memory_copy(build, path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["LOADED", "db"]


def test_workers_open_the_same_quads_on_disk_and_in_memory(tmp_path):
    build = build_dir(tmp_path, "".join(LINES))
    path = prepare_store(build, tmp_path / "stores")
    on_disk, in_memory = open_for_queries(path), open_for_queries(path, memory_copy(build, path))
    assert quads(in_memory) == quads(on_disk) and len(in_memory) == len(LINES)
    with pytest.raises((OSError, RuntimeError)):
        on_disk.add(next(iter(on_disk)))  # read-only: the disk store refuses writes
