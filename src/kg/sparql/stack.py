"""The engine ``kg serve`` uses over the embedded store, composed in order: the worker pool, inline lookups
answered in this process (``KG_INLINE_ROWS``), the result cache (``KG_CACHE_ENTRIES``, ``KG_RESULT_CACHE``)."""

from __future__ import annotations

from ..iris import Iris, prefixes
from ..store import named_graphs, open_for_queries, prepare_serving
from .cache import cached
from .engine import Engine
from .inline import InlineLookups
from .workers import WorkerPool


def start_pool(settings, build) -> tuple[Engine, list[str]]:
    """Prepare the on-disk store for this build and start ``settings.workers`` workers over it (each holding
    the data in memory if the build has at most ``settings.memory_store_triples`` triples), with bounded
    lookups answered in this process from a store of its own (``inline``) unless ``settings.inline_rows`` is
    0, behind the result cache unless ``settings.cache_entries`` is 0; also return the named graphs the
    store holds."""
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
        pool = InlineLookups(pool, open_for_queries(path, nquads), pool.prefixes, settings.inline_rows)
    return cached(pool, settings), graphs
