"""The query engine: evaluate one guarded query with limits, in a pool of worker processes.

The seam every caller uses is ``Engine.run(job) -> Answer`` (a query in, bytes in one format out, with
the row cap and the wall-clock limit applied), or ``Engine.stream(job)``, which gives an answer larger
than one chunk as a ``Streamed`` head plus chunks while the worker is still writing it. ``WorkerPool`` is the embedded implementation: N worker
processes each open the same read-only on-disk pyoxigraph store (or, for a small build, hold it in memory,
each its own copy) and serialize their own results. A query
that overruns the wall-clock limit gets its worker killed and replaced; a worker that dies costs only its
own request. A result cache (keyed by the frozen ``Job`` and the dataset version) or a remote SPARQL
store can implement the same ``Engine`` protocol and take its place.
"""

from __future__ import annotations

import io
import multiprocessing
import queue
import resource
import signal
import threading
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Protocol

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, Store, Variable, serialize

from ..store import named_graphs, open_for_queries, prepare_serving
from .formats import BY_NAME
from .results import count_solutions, write_solutions
from .row_cap import capped
from .values import values_first

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


class QueryTimeout(EngineError):
    status = 503


class WorkerCrashed(EngineError):
    status = 503


class EngineBusy(EngineError):
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


# --- evaluation (runs inside a worker process) ---


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


class _PipeWriter:
    """The binary sink a worker writes an answer into. An answer that fits in one chunk goes to the parent
    whole, as one ``("ok", Answer)`` message; a larger one goes as ``("head", (format, truncated, rows))``
    then ``("chunk", bytes)`` messages as the serializer produces them, then ``("end", None)``."""

    def __init__(self, conn, job: Job, truncated: bool, rows: int):
        self.conn = conn
        self.head = (job.format, truncated, rows)
        self.buffer = bytearray()
        self.streaming = False

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK_BYTES:
            if not self.streaming:
                self.conn.send(("head", self.head))
                self.streaming = True
            self.conn.send(("chunk", bytes(self.buffer)))
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        pass  # chunks leave when full, and at finish()

    def finish(self) -> None:
        if self.streaming:
            if self.buffer:
                self.conn.send(("chunk", bytes(self.buffer)))
            self.conn.send(("end", None))
        else:
            format_, truncated, rows = self.head
            self.conn.send(("ok", Answer(bytes(self.buffer), format_, truncated, rows)))


def _worker_main(conn, store_path: str, nquads: str | None, prefixes: dict[str, str], memory_bytes: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    if memory_bytes:
        # a query that needs more aborts this process alone; the parent answers 503 and replaces it
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    store = open_for_queries(Path(store_path), Path(nquads) if nquads else None)
    try:
        conn.send(("ready", None))
    except (BrokenPipeError, OSError):
        return  # the pool let go of this worker before it was ready
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            _answer(conn, store, job, prefixes)
        except (BrokenPipeError, OSError):
            return


def _answer(conn, store: Store, job: Job, prefixes: dict[str, str]) -> None:
    """Evaluate ``job`` and send its answer (whole or in chunks) or the error, as ``_PipeWriter`` says."""
    try:
        truncated, rows, write = execute(store, job, prefixes)
    except SyntaxError as err:
        return conn.send(("syntax", str(err)))
    except WrongFormError as err:
        return conn.send(("form", str(err)))
    except Exception as err:  # reported to the parent, which raises it as a 500
        return conn.send(("error", f"{type(err).__name__}: {err}"))
    out = _PipeWriter(conn, job, truncated, rows)
    try:
        write(out)
    except OSError:
        raise  # the pipe to the parent broke: the worker loop stops
    except Exception as err:  # a serializer failed: a bug, cut short where it happened
        return conn.send(("error", f"{type(err).__name__}: {err}"))
    out.finish()


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: object
    ready: bool = False


STARTUP_TIMEOUT = 60.0  # seconds for a new worker to open the store; not counted in any query's limit


class WorkerPool:
    """``size`` worker processes over one read-only store, with a hard wall-clock limit per query. Given
    ``nquads`` (``kg.store.memory_copy``), each worker loads it into a store of its own in memory instead of
    opening the on-disk one."""

    def __init__(
        self,
        store_path: str,
        *,
        size: int,
        timeout: float,
        version: str,
        prefixes: dict[str, str],
        memory_mb: int | None = None,
        nquads: str | None = None,
    ):
        self.store_path = store_path
        self.nquads = nquads
        self.memory_mb = memory_mb
        self.size = size
        self.timeout = timeout
        self.version = version
        self.prefixes = prefixes
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: dict[int, _Worker] = {}
        self._busy: set[int] = set()
        self._closed = False
        self.replaced = 0
        for _ in range(size):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self.store_path, self.nquads, self.prefixes, self.memory_mb * 2**20 if self.memory_mb else None),
            name="kg-query-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._workers[process.pid] = worker
        return worker

    def _discard(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        with self._lock:
            self._workers.pop(worker.process.pid, None)
            self.replaced += 1

    def _replace(self, worker: _Worker) -> None:
        self._discard(worker)
        if not self._closed:
            self._idle.put(self._spawn())

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(self._workers)

    def busy_pids(self) -> list[int]:
        """Workers evaluating a query right now."""
        with self._lock:
            return sorted(self._busy)

    def _acquire(self) -> _Worker:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise EngineBusy(
                    f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later"
                ) from None
            if worker.process.is_alive() and self._started(worker):
                return worker
            self._replace(worker)  # died while idle or could not start: replace it and take the next one

    def _started(self, worker: _Worker) -> bool:
        """Wait for a new worker to say it opened the store, so startup never eats a query's time."""
        if not worker.ready:
            try:
                worker.ready = worker.conn.poll(STARTUP_TIMEOUT) and worker.conn.recv()[0] == "ready"
            except (EOFError, OSError):
                worker.ready = False
        return worker.ready

    def run(self, job: Job) -> Answer:
        return collect(self.stream(job))

    def peek(self, job: Job) -> None:
        return None  # every answer is evaluated

    def stream(self, job: Job) -> Answer | Streamed:
        """Evaluate ``job`` in a worker. A small answer comes back whole; a larger one as soon as its head is
        known, its chunks then read from the worker by a pump thread as the worker writes them, so the
        worker is free again when it has written the last one, however slowly the client reads. The
        wall-clock limit covers evaluation and serialization together."""
        if self._closed:
            raise EngineBusy("the query engine is shutting down")
        worker = self._acquire()
        deadline = time.monotonic() + self.timeout
        with self._lock:
            self._busy.add(worker.process.pid)
        try:
            worker.conn.send(job)
            status, payload = self._receive(worker, deadline)
        except (EOFError, OSError):
            self._done(worker)
            raise self._crashed(worker) from None
        except QueryTimeout:
            self._done(worker)
            raise
        if status == "head":
            chunks: queue.Queue = queue.Queue()
            threading.Thread(target=self._pump, args=(worker, deadline, chunks), daemon=True,
                             name="kg-answer-pump").start()
            format_, truncated, rows = payload
            return Streamed(format_, truncated, rows, _drain(chunks))
        self._release(worker)
        if status == "ok":
            return payload
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "form":
            raise WrongFormError(payload)
        raise WorkerFailed(payload)

    def _done(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker.process.pid)

    def _release(self, worker: _Worker) -> None:
        """A worker that answered goes back to the idle queue (marked not busy first, so the mark is never
        taken off a query that has since started on it)."""
        self._done(worker)
        self._idle.put(worker)

    def _receive(self, worker: _Worker, deadline: float):
        """The worker's next message, or QueryTimeout (worker replaced) when the deadline passes first."""
        if not worker.conn.poll(max(deadline - time.monotonic(), 0)):
            self._replace(worker)
            raise QueryTimeout(f"query stopped after {self.timeout:g} s, the wall-clock limit (KG_QUERY_TIMEOUT)")
        return worker.conn.recv()

    def _crashed(self, worker: _Worker) -> WorkerCrashed:
        """Replace a worker whose pipe broke and say why it stopped."""
        worker.process.join(timeout=2)
        aborted = worker.process.exitcode == -signal.SIGABRT
        self._replace(worker)
        if aborted and self.memory_mb:
            return WorkerCrashed(
                f"the query needed more memory than a query worker may use ({self.memory_mb} MB, "
                "KG_WORKER_MEMORY_MB); its worker stopped and has been replaced"
            )
        return WorkerCrashed("the query worker stopped while evaluating this query; it has been replaced")

    def _pump(self, worker: _Worker, deadline: float, chunks: queue.Queue) -> None:
        """Move a streamed answer's chunks from the worker into ``chunks``, ending with None or an error."""
        try:
            while True:
                status, payload = self._receive(worker, deadline)
                if status == "chunk":
                    chunks.put(payload)
                    continue
                if status == "end":
                    self._release(worker)
                    chunks.put(None)
                else:  # the serializer failed after the head was sent
                    self._done(worker)
                    self._replace(worker)
                    chunks.put(WorkerFailed(payload))
                return
        except (EOFError, OSError):
            self._done(worker)
            chunks.put(self._crashed(worker))
        except QueryTimeout as err:
            self._done(worker)
            chunks.put(err)

    def close(self) -> None:
        """Stop every worker: idle ones by closing their pipe, busy ones by killing them."""
        self._closed = True
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.conn.close()
        for worker in workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)


def _drain(chunks: queue.Queue) -> Iterator[bytes]:
    while (item := chunks.get()) is not None:
        if isinstance(item, Exception):
            raise item  # after the head: the response is cut short, which the client sees as an error
        yield item


def start_pool(settings, build) -> tuple[Engine, list[str]]:
    """Prepare the on-disk store for this build and start ``settings.workers`` workers over it (each holding
    the data in memory if the build has at most ``settings.memory_store_triples`` triples), with bounded
    lookups answered in this process from a store of its own (``inline``) unless ``settings.inline_rows`` is
    0, behind the result cache unless ``settings.cache_entries`` is 0; also return the named graphs the
    store holds."""
    from ..iris import Iris, prefixes
    from .cache import cached

    path, nquads = prepare_serving(build, settings)
    graphs = named_graphs(path)
    pool: Engine = WorkerPool(
        str(path),
        size=settings.workers,
        timeout=settings.query_timeout,
        version=build.version,
        prefixes=prefixes(Iris(build.base_iri)),
        memory_mb=settings.worker_memory_mb,
        nquads=str(nquads) if nquads else None,
    )
    if settings.inline_rows:
        from .inline import InlineLookups

        pool = InlineLookups(pool, open_for_queries(path, nquads), pool.prefixes, settings.inline_rows)
    return cached(pool, settings), graphs
