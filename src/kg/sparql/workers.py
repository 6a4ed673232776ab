"""The query engine: evaluate one guarded query with limits, in a pool of worker processes.

The seam every caller uses is ``Engine.run(job) -> Answer`` (a query in, bytes in one format out, with
the row cap and the wall-clock limit applied). ``WorkerPool`` is the embedded implementation: N worker
processes each open the same read-only on-disk pyoxigraph store and serialize their own results. A query
that overruns the wall-clock limit gets its worker killed and replaced; a worker that dies costs only its
own request. A result cache (keyed by the frozen ``Job`` and the dataset version) or a remote SPARQL
store can implement the same ``Engine`` protocol and take its place.
"""

from __future__ import annotations

import multiprocessing
import queue
import resource
import signal
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, Store, Variable, serialize

from .formats import BY_NAME
from .results import serialize_solutions

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
    bindings: tuple[tuple[str, str], ...] = ()  # (variable, IRI) substituted before evaluation


@dataclass(frozen=True)
class Answer:
    body: bytes
    format: str
    truncated: bool = False
    rows: int = 0


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

    def close(self) -> None: ...


# --- evaluation (runs inside a worker process) ---


def _bindings(job: Job) -> dict | None:
    if not job.bindings:
        return None
    return {Variable(name): NamedNode(iri) for name, iri in job.bindings}


def execute(store: Store, job: Job, prefixes: dict[str, str]) -> Answer:
    """Evaluate ``job`` on ``store``: the one place where a query meets the data."""
    options: dict = {"base_iri": job.base_iri, "substitutions": _bindings(job)}
    if job.default_graphs is not None or job.named_graphs is not None:
        options["default_graph"] = [NamedNode(g) for g in job.default_graphs or ()]
        options["named_graphs"] = [NamedNode(g) for g in job.named_graphs or ()]
    elif job.union_default:
        options["use_default_graph_as_union"] = True
    return to_answer(store.query(job.query, **options), job, prefixes)


def to_answer(result, job: Job, prefixes: dict[str, str]) -> Answer:
    """A query's result (pyoxigraph's, evaluated here or parsed from a remote store) in the job's format,
    with the row cap applied and said."""
    fmt = BY_NAME[job.format]
    if isinstance(result, QueryBoolean):
        if fmt.kind != "results":
            raise WrongFormError(f"an ASK query answers true or false: ask for a result format, not {fmt.media_type}")
        return Answer(result.serialize(format=fmt.results_format), job.format, False, 1)
    if isinstance(result, QuerySolutions):
        if fmt.kind != "results":
            raise WrongFormError(f"a SELECT query answers a table: ask for a result format, not {fmt.media_type}")
        variables = [v.value for v in result.variables]
        rows = []
        for solution in result:
            if len(rows) == job.max_rows:
                return Answer(serialize_solutions(variables, rows, job.format, True, job.max_rows), job.format, True, len(rows))
            rows.append([solution[v] for v in variables])
        return Answer(serialize_solutions(variables, rows, job.format, False, job.max_rows), job.format, False, len(rows))
    if fmt.kind != "rdf":
        raise WrongFormError(f"a CONSTRUCT or DESCRIBE query answers a graph: ask for an RDF format, not {fmt.media_type}")
    triples = []
    truncated = False
    for triple in result:
        if len(triples) == job.max_rows:
            truncated = True
            break
        triples.append(triple)
    body = serialize(triples, format=fmt.rdf_format, prefixes=prefixes if job.format in ("turtle", "trig") else None)
    if truncated and job.format in ("turtle", "trig", "ntriples", "nquads"):
        body = f"# results truncated after {job.max_rows} triples (KG_MAX_ROWS)\n".encode() + body
    return Answer(body, job.format, truncated, len(triples))


def _worker_main(conn, store_path: str, prefixes: dict[str, str], memory_bytes: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    if memory_bytes:
        # a query that needs more aborts this process alone; the parent answers 503 and replaces it
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    store = Store.read_only(store_path)
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
            reply = ("ok", execute(store, job, prefixes))
        except SyntaxError as err:
            reply = ("syntax", str(err))
        except WrongFormError as err:
            reply = ("form", str(err))
        except Exception as err:  # reported to the parent, which raises it as a 500
            reply = ("error", f"{type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: object
    ready: bool = False


STARTUP_TIMEOUT = 60.0  # seconds for a new worker to open the store; not counted in any query's limit


class WorkerPool:
    """``size`` worker processes over one read-only store, with a hard wall-clock limit per query."""

    def __init__(
        self,
        store_path: str,
        *,
        size: int,
        timeout: float,
        version: str,
        prefixes: dict[str, str],
        memory_mb: int | None = None,
    ):
        self.store_path = store_path
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
            args=(child, self.store_path, self.prefixes, self.memory_mb * 2**20 if self.memory_mb else None),
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
        if self._closed:
            raise EngineBusy("the query engine is shutting down")
        worker = self._acquire()
        with self._lock:
            self._busy.add(worker.process.pid)
        try:
            return self._evaluate(worker, job)
        finally:
            with self._lock:
                self._busy.discard(worker.process.pid)

    def _evaluate(self, worker: _Worker, job: Job) -> Answer:
        try:
            worker.conn.send(job)
            if not worker.conn.poll(self.timeout):
                self._replace(worker)
                raise QueryTimeout(
                    f"query stopped after {self.timeout:g} s, the wall-clock limit (KG_QUERY_TIMEOUT)"
                )
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=2)
            aborted = worker.process.exitcode == -signal.SIGABRT
            self._replace(worker)
            if aborted and self.memory_mb:
                raise WorkerCrashed(
                    f"the query needed more memory than a query worker may use ({self.memory_mb} MB, "
                    "KG_WORKER_MEMORY_MB); its worker stopped and has been replaced"
                ) from None
            raise WorkerCrashed("the query worker stopped while evaluating this query; it has been replaced") from None
        self._idle.put(worker)
        if status == "ok":
            return payload
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "form":
            raise WrongFormError(payload)
        raise WorkerFailed(payload)

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


def start_pool(settings, build) -> tuple[Engine, list[str]]:
    """Prepare the on-disk store for this build and start ``settings.workers`` workers over it, behind the
    result cache unless ``settings.cache_entries`` is 0; also return the named graphs the store holds."""
    from ..iris import Iris, prefixes
    from ..store import named_graphs, prepare_store, store_root
    from .cache import ResultCache

    path = prepare_store(build, store_root(settings))
    graphs = named_graphs(path)
    pool = WorkerPool(
        str(path),
        size=settings.workers,
        timeout=settings.query_timeout,
        version=build.version,
        prefixes=prefixes(Iris(build.base_iri)),
        memory_mb=settings.worker_memory_mb,
    )
    if settings.cache_entries:
        return ResultCache(pool, max_entries=settings.cache_entries, max_bytes=settings.cache_mb * 2**20), graphs
    return pool, graphs
