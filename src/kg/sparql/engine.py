"""The engine seam: ``Engine.run(job) -> Answer`` (a query in, bytes in one format out, with the row cap and the
wall-clock limit applied), or ``Engine.stream(job)``, which gives an answer larger than one chunk as a
``Streamed`` head plus chunks while it is still being written; ``Engine.peek(job)`` for an answer at hand
without a worker. The worker pool (``workers``), inline lookups (``inline``), the result cache (``cache``) and
a remote store (``remote``) each implement it; ``stack.start_pool`` composes the embedded ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from ..messages import Said


@dataclass(frozen=True)
class Job:
    """One query to evaluate. Frozen and hashable, so it can key a result cache."""

    query: str
    format: str  # a formats.BY_NAME key of kind "results" or "rdf"
    base_iri: str | None = None
    default_graphs: tuple[str, ...] | None = None  # None: the query's own dataset, else exactly these
    named_graphs: tuple[str, ...] | None = None
    union_default: bool = True  # default graph = union of all graphs (only when no dataset is given)
    max_rows: int = 10_000
    # (variable, IRI) pairs joined as a VALUES block opening the WHERE clause (see ``bound_query``): SPARQL's
    # scoping applies, so a variable must be bound by a pattern where it is used, not only in a FILTER
    bindings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    body: bytes
    format: str
    truncated: bool = False
    rows: int = 0


@dataclass
class Streamed:
    """An answer too large for one chunk: its head (format, whether the row cap cut it, rows kept) is known,
    its body arrives as ``chunks`` (iterate once). A failure after the head raises from the iteration."""

    format: str
    truncated: bool
    rows: int
    chunks: Iterator[bytes]


def collect(answer: Answer | Streamed) -> Answer:
    """The whole body of an answer, streamed or not."""
    if isinstance(answer, Answer):
        return answer
    return Answer(b"".join(answer.chunks), answer.format, answer.truncated, answer.rows)


CHUNK_BYTES = 64 * 1024  # an answer larger than this streams, in chunks of about this size


class EngineError(Exception):
    """Base of errors a client should see with a status; anything else is a bug (HTTP 500)."""

    status = 500


class QuerySyntaxError(EngineError):
    status = 400


class QueryTimeout(Said, EngineError):  # said in the reader's language (kg/messages.json)
    status = 503


class WorkerCrashed(Said, EngineError):  # said in the reader's language (kg/messages.json)
    status = 503


class EngineBusy(Said, EngineError):  # said in the reader's language (kg/messages.json)
    status = 503


class WrongFormError(EngineError):
    """The requested format cannot carry this query form's answer."""

    status = 406


class WorkerFailed(RuntimeError):
    """The worker raised something unexpected: a bug, answered as HTTP 500."""


class Engine(Protocol):
    version: str

    def run(self, job: Job) -> Answer: ...

    def stream(self, job: Job) -> Answer | Streamed: ...

    def peek(self, job: Job) -> Answer | None:
        """The answer if it is at hand without a worker (a cache hit, a bounded lookup answered inline), else
        None: cheap enough for the event loop, so such a query costs no thread hop."""

    def close(self) -> None: ...


class Wrapping:
    """Base of an engine wrapped around another one, ``inner`` (the result cache, inline lookups): what
    callers and tests ask of the worker pool below, passed through."""

    inner: Engine

    def pids(self) -> list[int]:
        return self.inner.pids()

    def busy_pids(self) -> list[int]:
        return self.inner.busy_pids()

    @property
    def replaced(self) -> int:
        return self.inner.replaced

    def close(self) -> None:
        self.inner.close()
