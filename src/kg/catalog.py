"""The example-query catalog: ``queries/NN-name.rq`` files with a comment header, and their golden results.

Each top-level ``queries/*.rq`` file holds one plain SPARQL 1.1 query that declares its own prefixes and
starts with comment lines::

    # title: Provinces that sent more than 1,000 households
    # question: Which provinces sent more than 1,000 households, ordered by people sent?
    # row: one province
    # columns: ?province ?label ?households ?persons
    # tags: statistics, places

(an optional ``# note:`` may follow; a field may continue on the next comment line if that line is
indented by two spaces or more). ``queries/checks/`` holds validation queries and is not part of the catalog.

The golden result of ``queries/NAME.rq`` is ``tests/golden/queries/NAME.srj`` (SPARQL 1.1 Query Results
JSON), written only by :func:`write_goldens` (``kg goldens``). Queries run against the built dataset with the
default graph as the union of the named graphs. Rows compare as an unordered multiset unless the query has
a top-level ``ORDER BY``; terms compare exactly (type, value, datatype, language).

The API, for the CLI, the tests and the web layer:

- :func:`load_catalog` ``(root) -> list[Query]``: every query, sorted by name; raises :class:`CatalogError`.
- :class:`Query`: ``name, path, title, question, row, columns, tags, note, text`` and ``ordered``.
- :func:`open_store` ``(dataset_nq) -> Store`` (or :func:`open_build` ``(dist)``, which also checks the build's
  base IRI); :func:`run` ``(query, store) -> dict`` (SPARQL JSON).
- :func:`compare` ``(expected, actual, ordered) -> list[str]`` (differences; empty when equal).
- :func:`golden_path`, :func:`read_golden`, :func:`write_goldens`, :func:`render_readme`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import QueryBoolean, QuerySolutions, Store

from .config import DEFAULT_BASE_IRI
from .sparql.results import bound_terms, term_json

QUERIES_DIR = "queries"
GOLDEN_DIR = "tests/golden/queries"
README = "README.md"
REQUIRED_FIELDS = ("title", "question", "row", "columns", "tags")
OPTIONAL_FIELDS = ("note",)
MAX_PROBLEMS = 20  # differences reported by compare() before it summarises the rest

_FIELD = re.compile(r"^#\s*([a-z]+):\s*(.*?)\s*$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*?)\s*$")
_NAME = re.compile(r"^[0-9]{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
_VARIABLE = re.compile(r"^[?$][A-Za-z_][A-Za-z0-9_]*$")


class CatalogError(ValueError):
    """A query file is malformed (the message names the file and what is wrong)."""


@dataclass(frozen=True)
class Query:
    """One catalog query: its file, its header fields and its SPARQL text."""

    name: str  # file name without .rq, e.g. "01-provinces-over-1000-households"
    path: Path
    title: str
    question: str
    row: str  # what one result row means
    columns: tuple[str, ...]  # variable names without '?', in header order
    tags: tuple[str, ...]
    text: str  # the whole file, header included
    note: str = ""

    @property
    def ordered(self) -> bool:
        """Whether the query orders its results (a top-level ORDER BY): then row order is compared."""
        return has_top_level_order_by(self.text)


def parse_header(text: str, source: str = "<query>") -> dict[str, str]:
    """The ``# key: value`` comment lines at the top of a query; raises CatalogError if one is missing."""
    fields: dict[str, str] = {}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        cont = _CONTINUATION.match(line)
        if cont and last is not None:
            fields[last] += " " + cont.group(1)
            continue
        m = _FIELD.match(line)
        if not m:
            last = None
            continue
        key, value = m.groups()
        if key not in REQUIRED_FIELDS + OPTIONAL_FIELDS:
            raise CatalogError(f"{source}:{number}: unknown header field {key!r}")
        if key in fields:
            raise CatalogError(f"{source}:{number}: header field {key!r} given twice")
        fields[key] = value
        last = key
    missing = [k for k in REQUIRED_FIELDS if not fields.get(k)]
    if missing:
        raise CatalogError(f"{source}: header lacks {', '.join(missing)} (comment lines at the top of the file)")
    return fields


def load_query(path: Path) -> Query:
    """Read one ``.rq`` file and its header."""
    name = path.stem
    if not _NAME.match(name):
        raise CatalogError(f"{path}: file name must look like NN-words-with-dashes.rq")
    text = path.read_text(encoding="utf-8")
    fields = parse_header(text, str(path))
    columns = tuple(fields["columns"].split())
    bad = [c for c in columns if not _VARIABLE.match(c)]
    if bad:
        raise CatalogError(f"{path}: columns must be SPARQL variables like ?name, not {' '.join(bad)}")
    tags = tuple(t.strip() for t in fields["tags"].split(",") if t.strip())
    return Query(
        name=name,
        path=path,
        title=fields["title"],
        question=fields["question"],
        row=fields["row"],
        columns=tuple(c[1:] for c in columns),
        tags=tags,
        text=text,
        note=fields.get("note", ""),
    )


def load_catalog(root: Path) -> list[Query]:
    """Every ``queries/*.rq`` of the project at ``root`` (not ``queries/checks/``), sorted by name."""
    return [load_query(p) for p in sorted((Path(root) / QUERIES_DIR).glob("*.rq"))]


def has_top_level_order_by(text: str) -> bool:
    """True if ORDER BY occurs outside every brace (so not only in a subquery), ignoring comments,
    strings and IRIs."""
    depth = 0
    code: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c in "\"'":
            long = text.startswith(c * 3, i)
            end = c * 3 if long else c
            i += len(end)
            while i < n and not text.startswith(end, i):
                i += 2 if text[i] == "\\" else 1
            i += len(end)
            code.append(" ")
            continue
        if c == "<" and re.match(r"<[^\s<>\"{}|^`\\]*>", text[i:]):
            i = text.index(">", i) + 1
            code.append(" ")
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        code.append(c if depth == 0 else " ")
        i += 1
    return re.search(r"\bORDER\s+BY\b", "".join(code), re.IGNORECASE) is not None


# --- running ---------------------------------------------------------------------------------


def open_store(dataset_nq: Path) -> Store:
    """An in-memory store holding the build's ``dataset.nq``, loaded as a query worker loads it."""
    from .store import memory_store

    return memory_store(dataset_nq)


def open_build(dist: Path) -> Store:
    """The store of the build in ``dist``, for writing goldens. The build must exist and use the default base
    IRI, which the catalog's queries (and so their goldens) are written against."""
    from .store import StoreError, read_build

    try:
        info = read_build(Path(dist))
    except StoreError as err:
        raise CatalogError(str(err)) from None
    if info.base_iri != DEFAULT_BASE_IRI:
        raise CatalogError(
            f"{dist} was built with base IRI {info.base_iri}; the queries and their goldens use {DEFAULT_BASE_IRI}"
        )
    return open_store(info.path("dataset.nq"))


def run(query: Query, store: Store) -> dict:
    """Run ``query`` on ``store`` (default graph = union of the named graphs); SPARQL JSON results,
    rows in a canonical order unless the query orders them."""
    results = store.query(query.text, use_default_graph_as_union=True)
    if isinstance(results, QueryBoolean):
        return {"head": {}, "boolean": bool(results)}
    if not isinstance(results, QuerySolutions):
        raise CatalogError(f"{query.path}: only SELECT and ASK queries belong in the catalog")
    names = [v.value for v in results.variables]
    rows = [{name: term_json(term) for name, term in row.items()} for row in bound_terms(results)]
    result = {"head": {"vars": names}, "results": {"bindings": rows}}
    return result if query.ordered else canonical_rows(result)


def _row_key(row: dict) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def canonical_rows(result: dict) -> dict:
    """The same result with its rows in a fixed order (for queries without ORDER BY)."""
    rows = sorted(result["results"]["bindings"], key=_row_key)
    return {"head": result["head"], "results": {"bindings": rows}}


def dumps(result: dict) -> str:
    """The bytes of a golden file: sorted keys, one-space indent, UTF-8 as is, final newline."""
    return json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def compare(expected: dict, actual: dict, ordered: bool) -> list[str]:
    """Differences between two SPARQL JSON results (empty if equal): the variables, then the rows as a
    sequence when ``ordered``, else as a multiset. Terms compare exactly."""
    if "boolean" in expected or "boolean" in actual:
        if expected.get("boolean") != actual.get("boolean"):
            return [f"boolean: expected {expected.get('boolean')}, got {actual.get('boolean')}"]
        return []
    problems: list[str] = []
    ev, av = expected["head"].get("vars", []), actual["head"].get("vars", [])
    if ev != av:
        problems.append(f"variables: expected {ev}, got {av}")
    erows = [_row_key(r) for r in expected["results"]["bindings"]]
    arows = [_row_key(r) for r in actual["results"]["bindings"]]
    missing = Counter(erows) - Counter(arows)
    extra = Counter(arows) - Counter(erows)
    problems += [f"missing row (x{k}): {r}" for r, k in sorted(missing.items())]
    problems += [f"unexpected row (x{k}): {r}" for r, k in sorted(extra.items())]
    if ordered and not missing and not extra and erows != arows:
        first = next(i for i, (e, a) in enumerate(zip(erows, arows)) if e != a)
        problems.append(f"same rows in another order: row {first + 1} expected {erows[first]}, got {arows[first]}")
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [f"... and {len(problems) - MAX_PROBLEMS} more differences"]
    return problems


# --- golden files and the catalog page ---------------------------------------------------------


def golden_path(root: Path, query: Query) -> Path:
    return Path(root) / GOLDEN_DIR / f"{query.name}.srj"


def read_golden(root: Path, query: Query) -> dict:
    return json.loads(golden_path(root, query).read_text(encoding="utf-8"))


def write_goldens(root: Path, catalog: list[Query], store: Store) -> list[Path]:
    """Rewrite the golden result of every query in ``catalog``; return the files whose bytes changed."""
    changed = []
    folder = Path(root) / GOLDEN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for query in catalog:
        path = golden_path(root, query)
        data = dumps(run(query, store))
        if not path.is_file() or path.read_text(encoding="utf-8") != data:
            path.write_text(data, encoding="utf-8")
            changed.append(path)
    return changed


def orphan_goldens(root: Path, catalog: list[Query]) -> list[Path]:
    """Golden files that no query in the catalog produces."""
    names = {q.name for q in catalog}
    return sorted(p for p in (Path(root) / GOLDEN_DIR).glob("*.srj") if p.stem not in names)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_readme(catalog: list[Query]) -> str:
    """``queries/README.md``: the table of queries, generated from their headers."""
    lines = [
        "<!-- Generated by `kg goldens` from the headers of queries/*.rq; edit the queries, not this file. -->",
        "# Example queries",
        "",
        "Questions a historian might ask of the graph, one SPARQL 1.1 query per file. Each file declares its",
        "prefixes and starts with a header (`# title:`, `# question:`, `# row:`, `# columns:`, `# tags:`).",
        "Queries read the default graph as the union of the named graphs (`graph/assertions`,",
        "`graph/editorial`, `graph/metadata`). Figures are the ministry's claims as the report states them.",
        "",
        "Each query's expected result is in `tests/golden/queries/NAME.srj` (SPARQL 1.1 Query Results JSON);",
        "`tests/test_queries.py` checks them against the build. After a deliberate change to the data or a",
        "query, run `kg build && kg goldens`, check every changed golden against the report, and commit it.",
        "`checks/` holds validation queries (`*-violation.rq` must return nothing); they are not listed here.",
        "",
        "| file | question | one row | tags |",
        "| --- | --- | --- | --- |",
    ]
    for q in catalog:
        lines.append(
            f"| [`{q.path.name}`]({q.path.name}) | {_cell(q.question)} | {_cell(q.row)} | {_cell(', '.join(q.tags))} |"
        )
    return "\n".join(lines) + "\n"


def readme_path(root: Path) -> Path:
    return Path(root) / QUERIES_DIR / README
