"""Settings from the environment, validated once; fail loudly on bad values."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A setting in the environment is missing or malformed."""


def project_root() -> Path:
    """The checkout root: the folder holding pyproject.toml, data/ and ontology/."""
    env = os.environ.get("KG_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data").is_dir():
            return parent
    return Path.cwd()


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def processes_setting(name: str, raw: str) -> int | None:
    """A number of front-end processes as given (KG_PROCESSES, --processes): a whole number from 1, or
    "auto" (None: ``kg.web.serving.server.front_end_processes`` decides for the build being served)."""
    if raw.strip().lower() == "auto":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is neither a whole number nor auto") from None
    if value < 1:
        raise ConfigError(f"{name}={value} must be at least 1")
    return value


HTTP_SERVERS = ("granian", "uvicorn")
GRANIAN_TARGET_BYTES = 65_534  # granian's longest request target (Rust's `http` crate); a longer one gets 414


STORE_DATASETS = ("named", "union")


def choice_setting(name: str, raw: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` as given (case and surrounding spaces aside); ConfigError naming them otherwise."""
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def http_server_setting(name: str, raw: str) -> str:
    """The HTTP server of ``kg serve`` as given (KG_HTTP_SERVER, --http-server): granian or uvicorn."""
    return choice_setting(name, raw, HTTP_SERVERS)


def http_url_problem(url: str, what: str) -> str | None:
    """Why ``url`` is not the http(s) URL of ``what`` (a store's endpoint), or None when it is one."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a malformed port raises here
    except ValueError as err:
        return f"is not a URL: {err}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"is not the http(s) URL of {what}"
    return None


def _float(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} must be 1 or 0 (or true/false, yes/no, on/off)")


def _base_iri(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"KG_BASE_IRI={raw!r} must be an absolute http(s) IRI")
    if not raw.endswith("/") or parts.query or parts.fragment:
        raise ConfigError(f"KG_BASE_IRI={raw!r} must end with '/' and carry no query or fragment")
    return raw


DEFAULT_BASE_IRI = "https://kg.example.org/"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read from KG_* environment variables."""

    root: Path = field(default_factory=project_root)
    base_iri: str = DEFAULT_BASE_IRI
    dist: Path | None = None
    public_url: str | None = None  # origin the server is reached at, e.g. http://127.0.0.1:8000
    query_timeout: float = 30.0  # seconds of wall clock per query
    max_rows: int = 10_000  # result rows before truncation
    max_query_bytes: int = 64 * 1024  # request body / query size
    max_nesting: int = 64  # brackets and braces, depth
    workers: int = 2  # query worker processes (of each front-end process)
    processes: int | None = None  # front-end processes of `kg serve` (KG_PROCESSES); None: auto
    http_server: str = "granian"  # what speaks HTTP for `kg serve` (KG_HTTP_SERVER): granian or uvicorn
    # `kg serve --store`: "named" sends the build's graphs as the dataset of every query that names none;
    # "union" sends none, for a store whose default graph is already the union of exactly these graphs
    store_dataset: str = "named"
    store_dir: Path | None = None  # where the on-disk query store is kept (default ~/.cache/kg/stores)
    memory_store_triples: int = 200_000  # builds up to this size are held in memory by each query worker
    worker_memory_mb: int = 4096  # address space per query worker; a query needing more stops it (HTTP 503)
    cache_entries: int = 1024  # answers kept by the result cache and by the response cache (0: neither)
    cache_mb: int = 64  # bytes of answers each of the two caches keeps, in MB
    inline_rows: int = 100  # bounded lookups with up to this many solutions are answered without a worker (0: none)
    max_per_client: int = 8  # requests of one client address in flight at once; more get HTTP 429
    validate_max_bytes: int = 32 * 2**20  # body of one POST /validate; more get HTTP 413
    validate_timeout: float = 60.0  # seconds of wall clock per validation; the worker is killed (HTTP 503)
    validate_workers: int = 1  # validation worker processes (each holds the shapes, parsed once)
    access_log: bool = False  # a log line per request from the HTTP server (errors and start-up are always logged)
    # the speed layers, each on as shipped; off only to measure what it gains (docs/performance.md, "Rent")
    result_cache: bool = True  # KG_RESULT_CACHE: answers of the engine kept by query
    response_cache: bool = True  # KG_RESPONSE_CACHE: whole HTTP answers kept by URL and Vary
    lookup_lane: bool = True  # KG_LOOKUP_LANE: bounded lookups answered below the router with kept headers
    front: bool = True  # KG_FRONT: admission and the caches before FastAPI's layers (off: among its middleware)
    shared_counts: bool = True  # KG_SHARED_COUNTS: per-client caps counted across front-end processes

    @property
    def request_target_limit(self) -> int | None:
        """The longest request target (path and query string) the HTTP server passes to the app, if it has
        a limit of its own below ``request_headroom``: granian's; None for uvicorn."""
        return GRANIAN_TARGET_BYTES if self.http_server == "granian" else None

    @property
    def dist_dir(self) -> Path:
        return self.dist if self.dist is not None else self.root / "dist"

    @classmethod
    def from_env(cls) -> "Settings":
        root = project_root()
        dist_raw = os.environ.get("KG_DIST")
        public = os.environ.get("KG_PUBLIC_URL") or None
        if public is not None:
            p = urlsplit(public)
            if p.scheme not in ("http", "https") or not p.netloc or p.path not in ("", "/"):
                raise ConfigError(f"KG_PUBLIC_URL={public!r} must be an origin like http://host:port")
            public = public.rstrip("/")
        return cls(
            root=root,
            base_iri=_base_iri(os.environ.get("KG_BASE_IRI", DEFAULT_BASE_IRI)),
            dist=Path(dist_raw).absolute() if dist_raw else None,  # not resolve(): dist is a symlink that moves
            public_url=public,
            query_timeout=_float("KG_QUERY_TIMEOUT", 30.0, 0.1),
            max_rows=_int("KG_MAX_ROWS", 10_000),
            max_query_bytes=_int("KG_MAX_QUERY_BYTES", 64 * 1024, 256),
            max_nesting=_int("KG_MAX_NESTING", 64, 4),
            workers=_int("KG_WORKERS", 2),
            processes=processes_setting("KG_PROCESSES", os.environ.get("KG_PROCESSES") or "auto"),
            http_server=http_server_setting("KG_HTTP_SERVER", os.environ.get("KG_HTTP_SERVER") or "granian"),
            store_dataset=choice_setting("KG_STORE_DATASET", os.environ.get("KG_STORE_DATASET") or "named", STORE_DATASETS),
            store_dir=Path(os.environ["KG_STORE_DIR"]).resolve() if os.environ.get("KG_STORE_DIR") else None,
            memory_store_triples=_int("KG_MEMORY_STORE_TRIPLES", 200_000, 0),
            worker_memory_mb=_int("KG_WORKER_MEMORY_MB", 4096, 512),
            cache_entries=_int("KG_CACHE_ENTRIES", 1024, 0),
            cache_mb=_int("KG_CACHE_MB", 64, 1),
            inline_rows=_int("KG_INLINE_ROWS", 100, 0),
            max_per_client=_int("KG_MAX_PER_CLIENT", 8),
            validate_max_bytes=_int("KG_VALIDATE_MAX_BYTES", 32 * 2**20, 1024),
            validate_timeout=_float("KG_VALIDATE_TIMEOUT", 60.0, 0.1),
            validate_workers=_int("KG_VALIDATE_WORKERS", 1),
            access_log=_flag("KG_ACCESS_LOG", False),
            result_cache=_flag("KG_RESULT_CACHE", True),
            response_cache=_flag("KG_RESPONSE_CACHE", True),
            lookup_lane=_flag("KG_LOOKUP_LANE", True),
            front=_flag("KG_FRONT", True),
            shared_counts=_flag("KG_SHARED_COUNTS", True),
        )
