"""Open the build for serving: read dist/build.json and load dist/dataset.nq into an on-disk
pyoxigraph store that query workers open read-only, or, for a build small enough, that each worker loads
into memory (``open_for_queries``).

The store lives outside dist/ (only ``kg build`` writes there), in ``KG_STORE_DIR`` (default
``~/.cache/kg/stores``), one folder per dataset version; a folder is complete only once renamed into
place, so a half-loaded store is never served. Other versions' folders are removed.
"""

from __future__ import annotations

import gc
import io
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import RdfFormat, Store


class StoreError(RuntimeError):
    """The build is missing or unusable; the message names the file."""


@dataclass(frozen=True)
class BuildInfo:
    """What dist/build.json says about the build being served."""

    dist: Path
    version: str
    base_iri: str
    triples: int
    files: dict = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return self.dist / name


REQUIRED = ("build.json", "dataset.nq")


def read_build(dist: Path) -> BuildInfo:
    """Read and check dist/build.json; raise StoreError naming what is missing or malformed. A ``dist``
    that is a link to a release folder is resolved once, so a rebuild never changes what is served."""
    dist = dist.resolve()
    for name in REQUIRED:
        if not (dist / name).is_file():
            raise StoreError(f"{dist / name} is missing: run `kg build` first")
    try:
        meta = json.loads((dist / "build.json").read_text(encoding="utf-8"))
        version = str(meta["version"])
        base = str(meta["base_iri"])
        triples = int(meta["triples"])
    except (ValueError, KeyError, TypeError) as err:
        raise StoreError(f"{dist / 'build.json'} is malformed: {err}") from None
    if not version or "/" in version or version.startswith("."):
        raise StoreError(f"{dist / 'build.json'}: version {version!r} is not usable")
    return BuildInfo(dist, version, base, triples, dict(meta.get("files") or {}))


def store_root(settings) -> Path:
    """KG_STORE_DIR, else ~/.cache/kg/stores."""
    return settings.store_dir if settings.store_dir is not None else Path.home() / ".cache" / "kg" / "stores"


def prepare_store(build: BuildInfo, root: Path) -> Path:
    """The folder of an on-disk store holding dataset.nq for this build's version, loading it if needed."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / build.version
    if not (target / "LOADED").is_file():
        tmp = Path(tempfile.mkdtemp(prefix=f".{build.version}-", dir=root))
        try:
            store = Store(str(tmp / "db"))
            bulk_load(store, build.path("dataset.nq"))
            store.optimize()
            store.flush()
            del store
            gc.collect()
            (tmp / "LOADED").write_text(build.version + "\n", encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        except SyntaxError as err:
            raise StoreError(f"{build.path('dataset.nq')} does not parse: {err.msg}") from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    for other in root.iterdir():
        if other.name != build.version and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)
    return target / "db"


def memory_copy(build: BuildInfo, store_path: Path) -> Path:
    """The build's dataset.nq, kept in the version's folder beside its on-disk store for query workers that
    hold the data in memory: copied once and renamed into place, so a worker started later (one replaced
    after a timeout) loads exactly the version being served even if dist/ has been rebuilt since."""
    target = store_path.parent / "dataset.nq"
    if target.is_file():
        return target
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".dataset.nq-", dir=store_path.parent)
        with os.fdopen(fd, "wb") as out, open(build.path("dataset.nq"), "rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
        os.replace(tmp, target)
        tmp = None  # renamed into place: nothing left to remove
    except OSError as err:
        raise StoreError(f"cannot copy {build.path('dataset.nq')} to {target} for the in-memory query store: "
                         f"{err.strerror or err} (KG_MEMORY_STORE_TRIPLES=0 keeps the data on disk)") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return target


def held_in_memory(build: BuildInfo, settings) -> bool:
    """Whether query workers hold this build in memory: at most ``KG_MEMORY_STORE_TRIPLES`` triples."""
    return build.triples <= settings.memory_store_triples


def prepare_serving(build: BuildInfo, settings) -> tuple[Path, Path | None]:
    """What query workers answer from: the on-disk store for this build (loaded if needed) and, for a build
    ``held_in_memory``, the N-Quads copy each worker loads into memory."""
    path = prepare_store(build, store_root(settings))
    return path, memory_copy(build, path) if held_in_memory(build, settings) else None


def open_for_queries(store_path: Path, nquads: Path | None = None) -> Store:
    """The store a query worker answers from: the on-disk store at ``store_path`` opened read-only, or, given
    ``nquads`` (``memory_copy``), an in-memory store loaded from it.

    Measured (bench/results/2026-11-readme-runs.md): in memory the catalog evaluates 1.3 to 13 times faster (every lookup is a
    hash map's instead of RocksDB's), at about 0.4 KB of memory per triple in each worker and 0.6 s of
    loading per 10^5 triples when a worker starts; ``KG_MEMORY_STORE_TRIPLES`` sets the size up to which
    ``start_pool`` chooses it."""
    return Store.read_only(str(store_path)) if nquads is None else memory_store(nquads)


def memory_store(nquads: Path) -> Store:
    """An in-memory store holding an N-Quads file, loaded as ``bulk_load`` loads it: what a query worker
    holds for a small build, and what the catalog's goldens are computed on."""
    store = Store()
    bulk_load(store, nquads)
    return store


PART_BYTES = 16 * 1024 * 1024  # below this a part is not worth a thread of its own


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else all of them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def bulk_load(store: Store, nquads: Path, parts: int | None = None) -> None:
    """Load an N-Quads file into ``store``, in parallel parts split at line ends.

    pyoxigraph's bulk loader parses and sorts on one thread (measured: 11.7 s of CPU in 13.5 s for
    10^6 quads), and it lets go of the GIL, so one loader per core over its own byte range of the file
    uses them all. N-Quads is one statement per line, so any line end is a safe place to cut. A syntax
    error is raised as SyntaxError naming the line and column in the whole file.
    """
    size = nquads.stat().st_size
    if parts is None:
        parts = max(1, min(usable_cores(), size // PART_BYTES))
    cuts = _line_cuts(nquads, size, parts)
    spans = list(zip(cuts, cuts[1:]))
    errors: list[BaseException | None] = [None] * len(spans)

    def load(i: int, start: int, end: int) -> None:
        try:
            with open(nquads, "rb") as f:
                f.seek(start)
                store.bulk_load(_Span(f, end - start), format=RdfFormat.N_QUADS)
        except BaseException as err:  # re-raised on the calling thread below
            errors[i] = err

    if len(spans) == 1:
        load(0, *spans[0])
    else:
        threads = [threading.Thread(target=load, args=(i, s, e), name=f"kg-load-{i}") for i, (s, e) in enumerate(spans)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for (start, _), err in zip(spans, errors):
        if isinstance(err, SyntaxError):
            raise _whole_file_position(err, nquads, start) from None
        if err is not None:
            raise err


def _line_cuts(path: Path, size: int, parts: int) -> list[int]:
    """Byte offsets 0 < … < size, each just after a line end, about size / parts apart."""
    cuts = [0]
    with open(path, "rb") as f:
        for i in range(1, parts):
            f.seek(max(size * i // parts, cuts[-1]))
            f.readline()  # to the end of the line the guess fell in
            at = f.tell()
            if at >= size:
                break
            if at > cuts[-1]:
                cuts.append(at)
    cuts.append(size)
    return cuts


class _Span(io.RawIOBase):
    """The next ``length`` bytes of an open binary file, as a file of its own."""

    def __init__(self, f, length: int):
        self._f, self._left = f, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer)[: self._left]
        n = self._f.readinto(view) or 0
        self._left -= n
        return n


def _whole_file_position(err: SyntaxError, path: Path, start: int) -> SyntaxError:
    """``err`` from the part starting at byte ``start``, with its line numbers counted in the whole file."""
    before = 0
    if start:
        with open(path, "rb") as f:
            left = start
            while left:
                chunk = f.read(min(left, 1 << 20))
                before += chunk.count(b"\n")
                left -= len(chunk)
    detail = err.msg.split(": ", 1)[-1] if err.msg.startswith("Parser error") else err.msg
    line = (err.lineno or 1) + before
    return SyntaxError(f"line {line} column {err.offset or 1}: {detail}")


def named_graphs(store_path: Path) -> list[str]:
    """The IRIs of the named graphs in a prepared store (opened read-only for the moment)."""
    store = Store.read_only(str(store_path))
    graphs = sorted(g.value for g in store.named_graphs())
    del store
    return graphs
