"""The pool of worker processes that evaluate guarded queries with limits: the embedded ``Engine``.

N worker processes each open the same read-only on-disk pyoxigraph store (or, for a small build, hold it in
memory, each its own copy) and serialize their own results (``evaluate.execute``). A query that overruns the
wall-clock limit gets its worker killed and replaced; a worker that dies costs only its own request. An
answer larger than one chunk streams (``Streamed``) while the worker is still writing it.
"""

from __future__ import annotations

import multiprocessing
import queue
import resource
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pyoxigraph import Store

from ..store import open_for_queries
from .engine import (
    CHUNK_BYTES,
    Answer,
    EngineBusy,
    Job,
    QuerySyntaxError,
    QueryTimeout,
    Streamed,
    WorkerCrashed,
    WorkerFailed,
    WrongFormError,
    collect,
)
from .evaluate import execute


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
                raise EngineBusy("workers_busy", size=self.size, seconds=self.timeout) from None
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
            raise EngineBusy("shutting_down")
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
            raise QueryTimeout("timeout", seconds=self.timeout)
        return worker.conn.recv()

    def _crashed(self, worker: _Worker) -> WorkerCrashed:
        """Replace a worker whose pipe broke and say why it stopped."""
        worker.process.join(timeout=2)
        aborted = worker.process.exitcode == -signal.SIGABRT
        self._replace(worker)
        if aborted and self.memory_mb:
            return WorkerCrashed("out_of_memory", limit=self.memory_mb)
        return WorkerCrashed("worker_stopped")

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
