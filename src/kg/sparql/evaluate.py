"""Evaluating one job on a pyoxigraph store: the one place where a query meets the data, used by the workers,
by inline lookups in the front-end process and (``plan``, ``to_answer``) by the remote engine."""

from __future__ import annotations

import io
from itertools import islice
from typing import BinaryIO, Callable

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, Store, Variable, serialize

from .engine import CHUNK_BYTES, Answer, Job, WrongFormError
from .formats import BY_NAME
from .results import count_solutions, write_solutions
from .row_cap import capped
from .values import values_first


def bound_query(job: Job) -> str:
    """The job's query with its bindings as a VALUES block opening the WHERE clause (``values.values_first``):
    an entity page's evidence query took 545 ms with pyoxigraph's substitutions on 10^5 triples, 0.7 ms
    this way. Bindings are for the server's own queries (``Job.bindings`` never comes from a client)."""
    if not job.bindings:
        return job.query
    names = [Variable(name).value for name, _ in job.bindings]
    return values_first(job.query, names, [[str(NamedNode(iri)) for _, iri in job.bindings]])


def execute(
    store: Store, job: Job, prefixes: dict[str, str], *, within: int | None = None
) -> tuple[bool, int, Callable[[BinaryIO], None] | None]:
    """Evaluate ``job`` on ``store``: the one place where a query meets the data. A SELECT query is capped
    at one solution past the row cap by its own LIMIT (``row_cap``) and written by pyoxigraph's serializer;
    an answer the cap cut, any other form and any other query go through ``plan``. With ``within`` (at most
    the row cap), a SELECT answer is evaluated up to one solution past ``within`` and, when it has more, not
    written: ``(True, rows, None)`` (``inline.InlineLookups`` then asks a worker for the whole answer)."""
    options: dict = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        options["default_graph"] = [NamedNode(g) for g in job.default_graphs or ()]
        options["named_graphs"] = [NamedNode(g) for g in job.named_graphs or ()]
    elif job.union_default:
        options["use_default_graph_as_union"] = True
    query = bound_query(job)
    fmt = BY_NAME[job.format]
    cap = job.max_rows if within is None else within
    limited = capped(query, cap + 1) if fmt.kind == "results" else None
    if limited is not None:
        try:
            result = store.query(limited, **options)
        except SyntaxError:
            if within is not None:
                raise  # not evaluated at all here: the worker reports the error
            result = None  # the query as sent is evaluated below, so that its own error is reported
        if isinstance(result, QuerySolutions):
            body = result.serialize(format=fmt.results_format)
            rows = count_solutions(body, job.format)
            if rows <= cap:
                return False, rows, lambda out: _write_chunks(out, body)
            if within is not None:
                return True, rows, None
            query = limited  # cut by the cap: at most one row past it, written with the truncation note
    return plan(store.query(query, **options), job, prefixes)


def _write_chunks(out: BinaryIO, body: bytes) -> None:
    view = memoryview(body)
    for start in range(0, len(view), CHUNK_BYTES):
        out.write(view[start:start + CHUNK_BYTES])


def plan(result, job: Job, prefixes: dict[str, str]) -> tuple[bool, int, Callable[[BinaryIO], None]]:
    """A query's result (pyoxigraph's, evaluated here or parsed from a remote store) made ready to write in
    the job's format: whether the row cap cut it, how many rows or triples it keeps, and the function that
    writes it. Evaluation happens here (up to one row past the cap, to know whether the cap cut), so the
    head of a response is known before its first byte is written."""
    fmt = BY_NAME[job.format]
    if isinstance(result, QueryBoolean):
        if fmt.kind != "results":
            raise WrongFormError(f"an ASK query answers true or false: ask for a result format, not {fmt.media_type}")
        return False, 1, lambda out: out.write(result.serialize(format=fmt.results_format))
    if isinstance(result, QuerySolutions):
        if fmt.kind != "results":
            raise WrongFormError(f"a SELECT query answers a table: ask for a result format, not {fmt.media_type}")
        variables = [v.value for v in result.variables]
        kept = list(islice(result, job.max_rows + 1))
        truncated = len(kept) > job.max_rows
        rows = [[solution[v] for v in variables] for solution in kept[: job.max_rows]]
        return truncated, len(rows), lambda out: write_solutions(out, variables, rows, job.format, truncated, job.max_rows)
    if fmt.kind != "rdf":
        raise WrongFormError(f"a CONSTRUCT or DESCRIBE query answers a graph: ask for an RDF format, not {fmt.media_type}")
    triples = list(islice(result, job.max_rows + 1))
    truncated = len(triples) > job.max_rows
    del triples[job.max_rows:]

    def write(out: BinaryIO) -> None:
        if truncated and job.format in ("turtle", "trig", "ntriples", "nquads"):
            out.write(f"# results truncated after {job.max_rows} triples (KG_MAX_ROWS)\n".encode())
        serialize(triples, output=out, format=fmt.rdf_format, prefixes=prefixes if job.format in ("turtle", "trig") else None)

    return truncated, len(triples), write


def to_answer(result, job: Job, prefixes: dict[str, str]) -> Answer:
    """A query's result as one whole ``Answer`` (for engines that do not stream)."""
    truncated, rows, write = plan(result, job, prefixes)
    out = io.BytesIO()
    write(out)
    return Answer(out.getvalue(), job.format, truncated, rows)
