"""How many requests, and of them SPARQL queries, each client address has in flight: counted in the one
process (``LocalCounts``), or across every front-end process of ``kg serve --processes N`` (``SharedCounts``),
so that a client's caps hold for the whole server and not once per process.

The shared table is a small file (in ``/dev/shm`` where there is one) that the supervising parent makes and
every front-end process maps. Each process owns one region of it, claimed at start-up under an exclusive
``flock`` (a free one, or one whose process has died: granian or uvicorn replaces a dead front end, and the replacement
clears what the dead one left counted), and writes only there; a client's total is the sum over the
regions of live processes. Addresses are stored as 64-bit BLAKE2b digests, not as text.

A process's own counts are exact (one event loop writes them). The other processes' are read as they
stand, without a lock: with an exclusive ``flock`` around every count (the first version), two processes
on two busy cores waited for each other now and then; in three alternating A/B runs (an ad-hoc script
driving wrk through ``bench/run.py``'s ``wrk``, not part of ``make bench``) of cached lookups at
16 clients on 10^5 triples its medians were 2,156, 3,838 and 3,696 requests/s against 4,137, 3,424 and
4,002 without the lock, with more rounds falling to about 2,000. So two processes admitting the same
client at the same instant may each miss the other's newest request, and a client's total may pass its
cap by one request per other process for that instant; the query cap within a process, which keeps a
query worker free for others in every process, is exact. Which other processes are alive is checked at
most once a second (LIVENESS), so a replacement's counts join the others' within a second.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

SLOTS = 4096  # clients one process can count at once; a region is 16 bytes of header and 16 per slot
LIVENESS = 1.0  # seconds between checks of which other front ends are alive
FULL = SLOTS * 3 // 4  # open addressing stays fast below this many slots in use
HEADER = 16
REGION = HEADER + SLOTS * 16
EMPTY = 0

REQUESTS, QUERIES, BUSY = "requests", "queries", "busy"  # what refused a request


class LocalCounts:
    """In-flight counts of one process (one event loop: no lock needed)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.queries: Counter[str] = Counter()

    def acquire(self, client: str, query: bool, max_requests: int, max_queries: int) -> str | None:
        """Count the request in and return None, or return what it would exceed (REQUESTS or QUERIES)."""
        if self.requests[client] >= max_requests:
            return REQUESTS
        if query and self.queries[client] >= max_queries:
            return QUERIES
        self.requests[client] += 1
        self.queries[client] += query
        return None

    def acquire_query(self, client: str, max_queries: int) -> str | None:
        """Count a query into a request already counted in (``acquire``), or return QUERIES."""
        if self.queries[client] >= max_queries:
            return QUERIES
        self.queries[client] += 1
        return None

    def release(self, client: str, query: bool) -> None:
        for counter, n in ((self.requests, 1), (self.queries, int(query))):
            counter[client] -= n
            if counter[client] <= 0:
                del counter[client]

    def in_flight(self) -> dict[str, int]:
        """Requests in flight per client, of this process."""
        return dict(self.requests)


class SharedCounts:
    """In-flight counts shared by the front-end processes through the file ``path`` (made by ``create``)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.fd = os.open(self.path, os.O_RDWR)
        size = os.fstat(self.fd).st_size
        if size == 0 or size % REGION:
            os.close(self.fd)
            raise ValueError(f"{self.path} is not an admission table ({size} bytes)")
        self.regions = size // REGION
        self.map = mmap.mmap(self.fd, size)
        self.words = memoryview(self.map).cast("Q")  # pids and keys
        self.halves = memoryview(self.map).cast("I")  # counts
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # two processes starting at once claim different regions
        try:
            self.mine = self._claim()
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.others: list[int] = []
        self.checked = float("-inf")

    @staticmethod
    def create(processes: int, folder: Path | None = None) -> Path:
        """A zeroed table for ``processes`` front ends, in ``folder`` or else in memory (``/dev/shm``) where
        that can be written, else the temporary folder; the caller removes it when they have stopped."""
        shm = Path("/dev/shm")
        if folder is None and shm.is_dir() and os.access(shm, os.W_OK):
            folder = shm
        fd, name = tempfile.mkstemp(prefix="kg-admission-", dir=folder)
        try:
            os.ftruncate(fd, processes * REGION)
        finally:
            os.close(fd)
        return Path(name)

    def acquire(self, client: str, query: bool, max_requests: int, max_queries: int) -> str | None:
        """Count the request in and return None, or return what it would exceed (REQUESTS, QUERIES, or
        BUSY when this process already counts as many clients as its region holds). This process's own
        counts are exact; the other processes' are read as they stand, without a lock (see the module)."""
        key = _key(client)
        halves = self.halves
        own = self._find(self.mine, key)
        requests = halves[own // 4 + 2] if own else 0
        queries = halves[own // 4 + 3] if own else 0
        for region in self._live_others():
            slot = self._find(region, key)
            if slot is not None:
                requests += halves[slot // 4 + 2]
                queries += halves[slot // 4 + 3]
        if requests >= max_requests:
            return REQUESTS
        if query and queries >= max_queries:
            return QUERIES
        if own is None:
            own = self._insert(key)
            if own is None:
                return BUSY
        halves[own // 4 + 2] += 1
        halves[own // 4 + 3] += query
        return None

    def acquire_query(self, client: str, max_queries: int) -> str | None:
        """Count a query into a request already counted in (``acquire``), or return QUERIES: this process's
        count exact, the others' read as they stand."""
        key = _key(client)
        own = self._find(self.mine, key)
        if own is None:
            return BUSY  # not counted in: ``acquire`` was not called, or this process's region is full
        queries = self.halves[own // 4 + 3]
        for region in self._live_others():
            slot = self._find(region, key)
            if slot is not None:
                queries += self.halves[slot // 4 + 3]
        if queries >= max_queries:
            return QUERIES
        self.halves[own // 4 + 3] += 1
        return None

    def release(self, client: str, query: bool) -> None:
        slot = self._find(self.mine, _key(client))
        if slot is not None and self.halves[slot // 4 + 2]:  # a slot stays, at 0, until compaction
            self.halves[slot // 4 + 2] -= 1
            if query and self.halves[slot // 4 + 3]:
                self.halves[slot // 4 + 3] -= 1

    def in_flight(self) -> dict[str, int]:
        """Requests in flight per client digest (hex), of this process."""
        return {f"{self.words[s // 8]:016x}": self.halves[s // 4 + 2] for s in self._slots(self.mine)
                if self.words[s // 8] != EMPTY and self.halves[s // 4 + 2]}

    def close(self) -> None:
        self.words.release()
        self.halves.release()
        self.map.close()
        os.close(self.fd)

    # --- the table: region r starts at r * REGION with its owner's pid and its count of slots in use;
    #     slot i is (key, requests, queries)

    def _live_others(self) -> list[int]:
        """The other regions whose owners are alive, checked at most every LIVENESS seconds (a front end
        that has just died is counted a moment longer, never the other way round)."""
        now = time.monotonic()
        if now - self.checked >= LIVENESS:
            self.others = [r for r in range(self.regions)
                           if r != self.mine and _alive(self.words[self._base(r) // 8])]
            self.checked = now
        return self.others

    def _base(self, region: int) -> int:
        return region * REGION

    def _slots(self, region: int) -> range:
        start = self._base(region) + HEADER
        return range(start, start + SLOTS * 16, 16)

    def _claim(self) -> int:
        """A region nobody alive owns, cleared and marked with this process's pid."""
        for region in range(self.regions):
            owner = self.words[self._base(region) // 8]
            if owner == EMPTY or not _alive(owner):
                start = self._base(region)
                self.map[start:start + REGION] = bytes(REGION)
                self.words[start // 8] = os.getpid()
                return region
        raise RuntimeError(f"{self.path}: every one of its {self.regions} regions belongs to a live process")

    def _find(self, region: int, key: int) -> int | None:
        """The byte offset of ``key``'s slot in ``region``, or None (open addressing, linear probing; a key
        once placed keeps its slot until compaction, so a probe ends at the first empty slot)."""
        start = self._base(region) + HEADER
        i = key % SLOTS
        for _ in range(SLOTS):
            offset = start + i * 16
            found = self.words[offset // 8]
            if found == key:
                return offset
            if found == EMPTY:
                return None
            i = (i + 1) % SLOTS
        return None

    def _insert(self, key: int) -> int | None:
        """A slot for ``key`` (not in the table) in this process's region, compacting it when it fills;
        None when the region is full of clients with requests in flight."""
        used = self._base(self.mine) // 8 + 1  # the header's second word: slots holding a key
        if self.words[used] >= FULL:
            slots = [s for s in self._slots(self.mine) if self.words[s // 8] != EMPTY]
            live = [(self.words[s // 8], self.halves[s // 4 + 2], self.halves[s // 4 + 3]) for s in slots
                    if self.halves[s // 4 + 2]]
            if len(live) >= FULL:
                return None
            for s in slots:
                self.words[s // 8] = EMPTY
                self.halves[s // 4 + 2] = self.halves[s // 4 + 3] = 0
            for k, requests, queries in live:
                slot = self._empty_slot(k)
                self.words[slot // 8] = k
                self.halves[slot // 4 + 2], self.halves[slot // 4 + 3] = requests, queries
            self.words[used] = len(live)
        slot = self._empty_slot(key)
        self.words[slot // 8] = key
        self.words[used] += 1
        return slot

    def _empty_slot(self, key: int) -> int:
        start = self._base(self.mine) + HEADER
        i = key % SLOTS
        while self.words[(start + i * 16) // 8] != EMPTY:
            i = (i + 1) % SLOTS
        return start + i * 16


@lru_cache(maxsize=SLOTS)
def _key(client: str) -> int:
    """A client address as a nonzero 64-bit number."""
    return struct.unpack("<Q", hashlib.blake2b(client.encode(), digest_size=8).digest())[0] or 1


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (not gone, not a zombie awaiting its parent)."""
    if pid == EMPTY:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
