"""The example-query catalog (queries/*.rq): headers, parsing, and each query's golden result on the build.

Goldens are written only by `kg goldens`; these tests never write them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyoxigraph import Store
from rdflib.plugins.sparql import prepareQuery

from kg import catalog, cli
from kg.build.pipeline import build
from kg.config import Settings
from kg.store import open_for_queries, prepare_store, read_build

ROOT = Path(__file__).resolve().parents[1]
CATALOG = catalog.load_catalog(ROOT)
IDS = [q.name for q in CATALOG]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    # The same files `kg build` publishes; validation is tested elsewhere and left out here to keep this fast.
    dist = tmp_path_factory.mktemp("queries") / "dist"
    build(Settings(root=ROOT, dist=dist), validate=False)
    return dist


@pytest.fixture(scope="module")
def store(dist: Path) -> Store:
    return catalog.open_store(dist / "dataset.nq")


@pytest.fixture(scope="module")
def disk_store(dist: Path, tmp_path_factory) -> Store:
    """The on-disk store, read-only, as query workers open it for a build over KG_MEMORY_STORE_TRIPLES."""
    return open_for_queries(prepare_store(read_build(dist), tmp_path_factory.mktemp("stores")))


def test_catalog_is_large_enough_and_numbered_uniquely():
    assert len(CATALOG) >= 20
    numbers = [q.name[:2] for q in CATALOG]
    assert len(numbers) == len(set(numbers)), "two queries share a number"


@pytest.mark.parametrize("query", CATALOG, ids=IDS)
def test_header_is_complete_and_query_parses(query: catalog.Query):
    assert query.title and query.question and query.row and query.tags
    # no predefined prefixes: the file must declare every prefix it uses
    results = Store().query(query.text)
    prepareQuery(query.text)  # a second engine's parser
    assert [v.value for v in results.variables] == list(query.columns), "# columns: must list the SELECT variables"


@pytest.mark.parametrize("query", CATALOG, ids=IDS)
def test_query_matches_its_golden_result(query: catalog.Query, store: Store):
    golden = catalog.golden_path(ROOT, query)
    assert golden.is_file(), f"{golden.relative_to(ROOT)} is missing: run `kg build && kg goldens {query.name}`"
    problems = catalog.compare(catalog.read_golden(ROOT, query), catalog.run(query, store), query.ordered)
    assert not problems, "\n".join([f"{query.path.name} differs from its golden result:"] + problems)


@pytest.mark.parametrize("query", CATALOG, ids=IDS)
def test_the_on_disk_store_gives_the_golden_result_too(query: catalog.Query, disk_store: Store):
    problems = catalog.compare(catalog.read_golden(ROOT, query), catalog.run(query, disk_store), query.ordered)
    assert not problems, "\n".join([f"{query.path.name} on disk differs from its golden result:"] + problems)


@pytest.mark.parametrize("query", CATALOG, ids=IDS)
def test_golden_file_is_canonical(query: catalog.Query):
    """A golden is byte for byte what `kg goldens` writes, so regenerating an unchanged result changes nothing."""
    path = catalog.golden_path(ROOT, query)
    data = catalog.read_golden(ROOT, query)
    expected = catalog.dumps(data if query.ordered else catalog.canonical_rows(data))
    assert path.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("query", CATALOG, ids=IDS)
def test_golden_result_is_not_empty(query: catalog.Query):
    """An example that answers nothing is broken (a misspelt prefix or term matches nothing), even if its
    golden was regenerated to agree."""
    data = catalog.read_golden(ROOT, query)
    if "boolean" not in data:  # an ASK answer is informative either way
        assert data["results"]["bindings"], f"{query.path.name} answers nothing"


def test_every_golden_belongs_to_a_query():
    assert catalog.orphan_goldens(ROOT, CATALOG) == []


def test_readme_lists_the_catalog():
    assert catalog.readme_path(ROOT).read_text(encoding="utf-8") == catalog.render_readme(CATALOG)


# --- the catalog library ---------------------------------------------------------------------

HEADER = """# title: T
# question: Q?
# row: one thing
# columns: ?a ?b
# tags: x, y
"""


def _query(tmp_path: Path, name: str, text: str) -> catalog.Query:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return catalog.load_query(path)


def test_header_fields_are_read(tmp_path):
    q = _query(tmp_path, "01-x", HEADER + "#   z\nSELECT ?a ?b WHERE { ?a ?p ?b }\n")
    assert (q.title, q.question, q.row, q.columns, q.tags) == ("T", "Q?", "one thing", ("a", "b"), ("x", "y z"))
    assert q.name == "01-x"


@pytest.mark.parametrize("drop", catalog.REQUIRED_FIELDS)
def test_a_missing_header_field_is_an_error(tmp_path, drop):
    text = "".join(line + "\n" for line in HEADER.splitlines() if not line.startswith(f"# {drop}:"))
    with pytest.raises(catalog.CatalogError, match=drop):
        _query(tmp_path, "01-x", text + "SELECT * WHERE { ?s ?p ?o }\n")


def test_a_badly_named_file_is_an_error(tmp_path):
    with pytest.raises(catalog.CatalogError, match="file name"):
        _query(tmp_path, "Query One", HEADER + "SELECT * WHERE { ?s ?p ?o }\n")


@pytest.mark.parametrize(
    ("text", "ordered"),
    [
        ("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s", True),
        ("SELECT ?s WHERE { ?s ?p ?o }\norder  by desc(?s) LIMIT 3", True),
        ("SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }", False),
        ("# ORDER BY in a comment\nSELECT ?s WHERE { ?s ?p 'ORDER BY' }", False),
        ("SELECT ?s WHERE { ?s <http://e/ORDER BY> ?o }", False),
    ],
)
def test_ordered_means_a_top_level_order_by(text, ordered):
    assert catalog.has_top_level_order_by(text) is ordered


def _result(*rows):
    return {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": r} for r in rows]}}


ONE = {"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
TWO = {"type": "literal", "value": "2", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}


@pytest.mark.parametrize(
    "changed",
    [
        {"type": "literal", "value": "1"},  # datatype lost
        {"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#decimal"},
        {"type": "literal", "value": "1", "xml:lang": "en"},
        {"type": "uri", "value": "1"},
        {"type": "literal", "value": "01", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
    ],
)
def test_compare_sees_any_change_of_a_term(changed):
    assert catalog.compare(_result(ONE, TWO), _result(changed, TWO), ordered=False)


def test_compare_rows_as_multiset_unless_ordered():
    assert catalog.compare(_result(ONE, TWO), _result(TWO, ONE), ordered=False) == []
    assert catalog.compare(_result(ONE, TWO), _result(TWO, ONE), ordered=True)
    assert catalog.compare(_result(ONE, ONE), _result(ONE), ordered=False)  # duplicates count
    assert catalog.compare(_result(ONE), _result(ONE, TWO), ordered=True)


def test_compare_sees_other_variables():
    other = {"head": {"vars": ["y"]}, "results": {"bindings": []}}
    assert catalog.compare(_result(), other, ordered=False)


def test_run_writes_terms_as_sparql_json(tmp_path):
    q = _query(tmp_path, "01-x", HEADER + 'SELECT ?a ?b WHERE { VALUES (?a ?b) { (<http://e/a> "x"@en) (<http://e/b> 2) ("s" UNDEF) } }\n')
    rows = catalog.run(q, Store())["results"]["bindings"]
    assert rows == [  # unordered query: canonical row order
        {"a": {"type": "literal", "value": "s"}},
        {"a": {"type": "uri", "value": "http://e/a"}, "b": {"type": "literal", "value": "x", "xml:lang": "en"}},
        {"a": {"type": "uri", "value": "http://e/b"},
         "b": {"type": "literal", "value": "2", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}},
    ]


def test_kg_goldens_writes_goldens_and_readme_only_when_asked(tmp_path, dist, store, monkeypatch, capsys):
    (tmp_path / "queries").mkdir()
    query = _query(tmp_path / "queries", "01-provinces", HEADER + (
        "PREFIX kg: <https://kg.example.org/ontology/kg#>\n"
        "SELECT ?a ?b WHERE { ?a kg:households ?b } ORDER BY DESC(?b) ?a\n"))
    monkeypatch.setenv("KG_ROOT", str(tmp_path))
    monkeypatch.setenv("KG_DIST", str(dist))
    assert cli.main(["goldens"]) == 0
    golden = catalog.golden_path(tmp_path, query)
    assert golden.read_text(encoding="utf-8") == catalog.dumps(catalog.run(query, store))
    first = catalog.read_golden(tmp_path, query)["results"]["bindings"][0]
    assert (first["a"]["value"].rsplit("/", 1)[1], first["b"]["value"]) == ("applicants-1959-jilin-households", "20000")
    assert catalog.readme_path(tmp_path).read_text(encoding="utf-8") == catalog.render_readme([query])
    assert cli.main(["goldens", "01-provinces"]) == 0
    assert "0 files changed" in capsys.readouterr().out
    assert cli.main(["goldens", "02-missing"]) == 2


def test_goldens_need_a_build_with_the_default_base_iri(tmp_path, dist):
    with pytest.raises(catalog.CatalogError, match="missing"):
        catalog.open_build(tmp_path)
    (tmp_path / "dataset.nq").write_text("", encoding="utf-8")
    (tmp_path / "build.json").write_text(
        json.dumps({"version": "x", "base_iri": "https://example.net/", "triples": 0}), encoding="utf-8")
    with pytest.raises(catalog.CatalogError, match="https://example.net/"):
        catalog.open_build(tmp_path)
    assert len(catalog.open_build(dist)) > 0
