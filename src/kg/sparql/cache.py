"""A bounded cache of query answers, itself an ``Engine`` wrapped around another one.

The data is immutable between builds, so an answer depends only on the job (the query, its format, its
dataset, base IRI, row cap and bindings) and the dataset version: the key is the frozen ``Job`` with its
query text normalized, plus ``version``. A new build has a new version, so nothing stale is ever served.
Only answers are kept: errors (syntax, time limit, crashed worker, busy pool) go through every time, so a
limit is enforced exactly as without the cache. Bounded twice, by entries and by bytes, least recently
used out first; an answer larger than a quarter of the byte budget is passed on and not kept.

``KG_CACHE_ENTRIES`` (0 turns the cache off, and the response cache in front of the app with it,
src/kg/web/serving/response_cache.py) and ``KG_CACHE_MB`` set the bounds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

from .engine import Answer, Engine, Job, Streamed, Wrapping, collect


def normalize(query: str) -> str:
    """The query text with line endings unified and the whitespace at the ends of lines and of the text
    removed: changes that can never change what a query means (inside a multi-line string literal a
    trailing space could, so a query with a long string literal is left as it is)."""
    text = query.replace("\r\n", "\n").replace("\r", "\n")
    if '"""' in text or "'''" in text:
        return text
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def cached(engine: Engine, settings) -> Engine:
    """``engine`` behind a result cache bounded by ``KG_CACHE_ENTRIES`` and ``KG_CACHE_MB``, or ``engine``
    itself when ``KG_CACHE_ENTRIES`` is 0 or ``KG_RESULT_CACHE`` off."""
    if not settings.cache_entries or not settings.result_cache:
        return engine
    return ResultCache(engine, max_entries=settings.cache_entries, max_bytes=settings.cache_mb * 2**20)


class ResultCache(Wrapping):
    """``Engine`` answering repeated jobs from memory; everything else goes to ``inner``."""

    def __init__(self, inner: Engine, *, max_entries: int, max_bytes: int):
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a result cache needs room for at least one entry and one byte")
        self.inner = inner
        self.version = inner.version
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, Job], Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def key(self, job: Job) -> tuple[str, Job]:
        return (self.version, replace(job, query=normalize(job.query)))

    def run(self, job: Job) -> Answer:
        return collect(self.stream(job))

    def peek(self, job: Job) -> Answer | None:
        """A kept answer, else what ``inner`` has at hand (a lookup answered inline), kept in turn."""
        key = self.key(job)
        answer = self._lookup(key, count_miss=False)
        if answer is None:
            answer = self.inner.peek(job)
            if answer is not None:
                self._keep(key, answer)
        return answer

    def _lookup(self, key, *, count_miss: bool) -> Answer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            elif count_miss:
                self.misses += 1
            return answer

    def stream(self, job: Job) -> Answer | Streamed:
        key = self.key(job)
        answer = self._lookup(key, count_miss=True)
        if answer is not None:
            return answer
        answer = self.inner.stream(job)  # errors propagate and are never kept
        if isinstance(answer, Streamed):
            return Streamed(answer.format, answer.truncated, answer.rows, self._keeping(key, answer))
        self._keep(key, answer)
        return answer

    def _keeping(self, key, answer: Streamed):
        """The chunks of a streamed answer, passed on as they come; kept once whole if small enough (an
        answer cut short by an error is never kept)."""
        parts: list[bytes] | None = []
        size = 0
        for chunk in answer.chunks:
            yield chunk
            if parts is not None:
                size += len(chunk)
                if size <= self.max_bytes // 4:
                    parts.append(chunk)
                else:
                    parts = None
        if parts is not None:
            self._keep(key, Answer(b"".join(parts), answer.format, answer.truncated, answer.rows))

    def _keep(self, key, answer: Answer) -> None:
        size = len(answer.body)
        if size <= self.max_bytes // 4:
            with self._lock:
                if key not in self._entries:
                    self._entries[key] = answer
                    self._bytes += size
                while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                    _, old = self._entries.popitem(last=False)
                    self._bytes -= len(old.body)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def close(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
        super().close()
