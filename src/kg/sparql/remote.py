"""The query engine over a remote SPARQL 1.1 store (``kg serve --store URL``), through SPARQLWrapper.

``RemoteEngine.run(job)`` sends the guarded query to the store's query endpoint (POST, form encoded,
with a dataset as ``default-graph-uri``/``named-graph-uri``), asks for SPARQL JSON or N-Triples,
parses the answer with pyoxigraph and serializes it exactly as the worker pool does (same formats, same
row cap and truncation note). The front end keeps its own safety rules: the guard runs before any query
leaves (no SERVICE, no update, no foreign graphs), every request has the wall-clock limit as its socket
timeout, at most ``concurrency`` queries are in flight to the store, and rows over the cap are dropped.
What the front end cannot do is stop a query inside the store: set the store's own timeout too.

The dataset is named (unless ``KG_STORE_DATASET=union``), so that the store needs no setting of its own
and answers over the build's graphs only: the client's ``default-graph-uri``/``named-graph-uri`` when it
gives them, nothing when the query has its own ``FROM``/``FROM NAMED``, and otherwise the build's graphs,
each as a default graph (their merge is the default graph, as the embedded store's union) and as a named
graph. A store's default graph
without a dataset is not the same everywhere: Virtuoso's holds its own system graphs too (``virtrdf:`` and
others), Oxigraph's is empty unless started with ``--union-default-graph``.
"""

from __future__ import annotations

import ast
import socket
import threading
import urllib.error

from pyoxigraph import QueryResultsFormat, QuerySolutions, RdfFormat, parse, parse_query_results
from SPARQLWrapper import POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from .guard import form_of
from .engine import Answer, EngineBusy, EngineError, Job, QuerySyntaxError, QueryTimeout
from .evaluate import bound_query, to_answer

SOLUTIONS = "application/sparql-results+json"  # asked for a SELECT or ASK
GRAPH = "application/n-triples"  # asked for a CONSTRUCT or DESCRIBE (Virtuoso, asked for both in one
# Accept header, answers a CONSTRUCT with its triples as SPARQL JSON solutions)


class StoreUnavailable(EngineError):
    """The remote store could not be reached or failed: the gateway's error, not the client's."""

    status = 502


class RemoteEngine:
    """``Engine`` over a SPARQL 1.1 query endpoint."""

    def __init__(self, endpoint: str, *, version: str, timeout: float, prefixes: dict[str, str], graphs: list[str],
                 concurrency: int = 2, name_dataset: bool = True):
        self.endpoint = endpoint
        self.graphs = tuple(graphs)  # the build's: the dataset of a query that names none
        self.name_dataset = name_dataset  # False (KG_STORE_DATASET=union): the store's default graph is their union
        self.version = version
        self.timeout = timeout
        self.prefixes = prefixes
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)

    def _request(self, query: str, default_graphs=(), named_graphs=(), accept: str = SOLUTIONS,
                 form: str = "SELECT") -> tuple[bytes, str]:
        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", accept)
        client.setTimeout(self.timeout)
        client.setQuery(query)
        # SPARQLWrapper guesses the form from the text, comments included, and sends a query whose comment
        # says "add" or "insert" as an update (which the store refuses): it is told the form the guard read
        client.queryType = form
        for graph in default_graphs:
            client.addDefaultGraph(graph)
        for graph in named_graphs:
            client.addNamedGraph(graph)
        try:
            response = client.query().response
            return response.read(), response.headers.get("Content-Type", "")
        except QueryBadFormed as err:
            raise QuerySyntaxError(_store_message(err)) from None
        except (TimeoutError, socket.timeout):
            raise QueryTimeout("store_timeout", seconds=self.timeout) from None
        except (SPARQLWrapperException, urllib.error.URLError, OSError) as err:
            if isinstance(getattr(err, "reason", None), (TimeoutError, socket.timeout)):
                raise QueryTimeout("store_timeout", seconds=self.timeout) from None
            raise StoreUnavailable(f"the SPARQL store at {self.endpoint} failed: {_store_message(err)}") from None

    def run(self, job: Job) -> Answer:
        if not self._slots.acquire(timeout=self.timeout):
            raise EngineBusy("store_busy", n=self.concurrency, seconds=self.timeout)
        try:
            query = bound_query(job)  # the store has no initial bindings: the same values as a VALUES block
            form = form_of(query)
            accept = GRAPH if form in ("CONSTRUCT", "DESCRIBE") else SOLUTIONS
            body, content_type = self._request(query, *self.dataset(job), accept=accept, form=form or "SELECT")
        finally:
            self._slots.release()
        media = content_type.split(";")[0].strip().lower()
        if media != accept and not (accept == GRAPH and media == "text/plain"):
            raise StoreUnavailable(f"the SPARQL store at {self.endpoint} answered {media or 'no content type'} to a "
                                   f"{form} query, not {accept}")
        if accept == SOLUTIONS:
            result = _ask_as_boolean(parse_query_results(body, format=QueryResultsFormat.JSON), form)
        else:
            result = (quad.triple for quad in parse(body, format=RdfFormat.N_TRIPLES))
        return to_answer(result, job, self.prefixes)

    def dataset(self, job: Job) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The ``default-graph-uri`` and ``named-graph-uri`` values sent with ``job``."""
        if job.default_graphs is not None or job.named_graphs is not None:  # the client's, from the protocol
            return tuple(job.default_graphs or ()), tuple(job.named_graphs or ())
        if not job.union_default or not self.name_dataset:  # the query's own FROM / FROM NAMED, or the store's
            return (), ()
        return self.graphs, self.graphs

    def stream(self, job: Job) -> Answer:
        return self.run(job)

    def peek(self, job: Job) -> None:
        return None  # every answer comes from the store  # the store's answer is read whole before it is checked and re-serialized

    def held_graphs(self) -> list[str]:
        """Which of the build's graphs the store holds (a triple or more each). One query asking for these
        graphs by name: cheap on any store, and blind to graphs of the store's own."""
        values = " ".join(f"<{g}>" for g in self.graphs)
        body, _ = self._request(f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}")
        rows = parse_query_results(body, format=QueryResultsFormat.JSON)
        return sorted(row["g"].value for row in rows if row["g"] is not None)

    def close(self) -> None:
        pass


ASK_COLUMN = "__ASK_RETVAL"


def _ask_as_boolean(result, form: str | None):
    """Virtuoso 7 answers an ASK query as a SELECT of one row, ``?__ASK_RETVAL`` 1 or 0, in every result
    format: for an ASK, that is the boolean it means (every other answer is left as it is)."""
    if not isinstance(result, QuerySolutions) or [v.value for v in result.variables] != [ASK_COLUMN]:
        return result
    if form != "ASK":
        return result
    values = [row[ASK_COLUMN] for row in result]
    true = bool(values) and values[0] is not None and values[0].value not in ("0", "false")
    return parse_query_results(b'{"head": {}, "boolean": %s}' % (b"true" if true else b"false"),
                               format=QueryResultsFormat.JSON)


def _store_message(err: Exception) -> str:
    """What the store said: SPARQLWrapper puts the response body, as a bytes repr, after 'Response:'."""
    text = str(err)
    head, sep, body = text.partition("\n\nResponse:\n")
    if sep:
        try:
            text = ast.literal_eval(body).decode("utf-8", "replace").strip()
        except (ValueError, SyntaxError, AttributeError):
            text = body
    return text if len(text) <= 500 else text[:500] + "…"
