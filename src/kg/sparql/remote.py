"""The query engine over a remote SPARQL 1.1 store (``kg serve --store URL``), through SPARQLWrapper.

``RemoteEngine.run(job)`` sends the guarded query to the store's query endpoint (POST, form encoded,
with the job's dataset as ``default-graph-uri``/``named-graph-uri``), asks for SPARQL JSON or N-Triples,
parses the answer with pyoxigraph and serializes it exactly as the worker pool does (same formats, same
row cap and truncation note). The front end keeps its own safety rules: the guard runs before any query
leaves (no SERVICE, no update, no foreign graphs), every request has the wall-clock limit as its socket
timeout, at most ``concurrency`` queries are in flight to the store, and rows over the cap are dropped.
What the front end cannot do is stop a query inside the store: set the store's own timeout too.

The store must answer queries without a dataset over the union of its named graphs (Oxigraph:
``--union-default-graph``; Virtuoso and GraphDB do by default; QLever and Neptune need the graphs named).
"""

from __future__ import annotations

import ast
import socket
import threading
import urllib.error

from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results
from SPARQLWrapper import POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from .workers import Answer, EngineBusy, EngineError, Job, QuerySyntaxError, QueryTimeout, bound_query, to_answer

ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


class StoreUnavailable(EngineError):
    """The remote store could not be reached or failed: the gateway's error, not the client's."""

    status = 502


class RemoteEngine:
    """``Engine`` over a SPARQL 1.1 query endpoint."""

    def __init__(self, endpoint: str, *, version: str, timeout: float, prefixes: dict[str, str], concurrency: int = 2):
        self.endpoint = endpoint
        self.version = version
        self.timeout = timeout
        self.prefixes = prefixes
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)

    def _request(self, query: str, default_graphs=(), named_graphs=()) -> tuple[bytes, str]:
        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", ACCEPT)
        client.setTimeout(self.timeout)
        client.setQuery(query)
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
            raise QueryTimeout(
                f"query stopped after {self.timeout:g} s, the wall-clock limit (KG_QUERY_TIMEOUT)"
            ) from None
        except (SPARQLWrapperException, urllib.error.URLError, OSError) as err:
            if isinstance(getattr(err, "reason", None), (TimeoutError, socket.timeout)):
                raise QueryTimeout(
                    f"query stopped after {self.timeout:g} s, the wall-clock limit (KG_QUERY_TIMEOUT)"
                ) from None
            raise StoreUnavailable(f"the SPARQL store at {self.endpoint} failed: {_store_message(err)}") from None

    def run(self, job: Job) -> Answer:
        if not self._slots.acquire(timeout=self.timeout):
            raise EngineBusy(f"all {self.concurrency} connections to the store stayed busy for {self.timeout:g} s; try again later")
        try:
            query = bound_query(job)  # the store has no initial bindings: the same values as a VALUES block
            dataset = job.default_graphs is not None or job.named_graphs is not None
            body, content_type = self._request(
                query, job.default_graphs or () if dataset else (), job.named_graphs or () if dataset else ()
            )
        finally:
            self._slots.release()
        media = content_type.split(";")[0].strip().lower()
        if media == "application/sparql-results+json":
            result = parse_query_results(body, format=QueryResultsFormat.JSON)
        elif media in ("application/n-triples", "text/plain"):
            result = (quad.triple for quad in parse(body, format=RdfFormat.N_TRIPLES))
        else:
            raise StoreUnavailable(f"the SPARQL store at {self.endpoint} answered {media or 'no content type'}, not {ACCEPT}")
        return to_answer(result, job, self.prefixes)

    def stream(self, job: Job) -> Answer:
        return self.run(job)

    def peek(self, job: Job) -> None:
        return None  # every answer comes from the store  # the store's answer is read whole before it is checked and re-serialized

    def named_graphs(self) -> list[str]:
        """The named graphs the store holds."""
        body, _ = self._request("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        return sorted(row["g"].value for row in parse_query_results(body, format=QueryResultsFormat.JSON))

    def close(self) -> None:
        pass


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
