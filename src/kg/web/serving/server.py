"""How the app is served over HTTP: by granian (the default), a Rust HTTP server that starts the
front-end processes itself, or by uvicorn (``KG_HTTP_SERVER=uvicorn``), with its settings for our limits
and the listening socket that several of its front-end processes share.

Kept apart from the app (FastAPI and everything the routes import take about a second to import): the
parent of ``kg serve --processes N`` only supervises, so it imports this and not the app, and its N
processes start that second sooner.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

import uvicorn

from ...config import Settings
from ...store import BuildInfo, held_in_memory, usable_cores

if TYPE_CHECKING:
    from fastapi import FastAPI


MAX_AUTO_PROCESSES = 2


def front_end_processes(settings: Settings, build: BuildInfo, remote: bool = False) -> int:
    """How many front-end processes ``kg serve`` starts: KG_PROCESSES or ``--processes`` when given, else
    (auto) one per core it may use, at most two, when the query workers hold the build in memory or a
    remote store answers, and one when the workers read the on-disk store. Measured (bench/results/2026-11-readme-runs.md, "Two
    front-end processes"): at 10^5 triples, in memory, the second process raised cached throughput at 16
    clients by 1.1x to 1.8x for about 330 MB more; at 10^6, on disk, it took peak memory from 402 to 902 MB
    (the 1 GB target) and start-up from 1.45 to 1.84 s (the 2 s target), and its caches, warmed apart,
    made slow first evaluations show in the tail (p99 of the catalog and pages up to 1.1 s)."""
    if settings.processes is not None:
        return settings.processes
    if not remote and not held_in_memory(build, settings):
        return 1
    return max(1, min(usable_cores(), MAX_AUTO_PROCESSES))


def request_headroom(settings: Settings) -> int:
    """Bytes of request line and headers the HTTP server reads before refusing a request: enough for a GET
    query of the largest allowed size, percent-encoded (three bytes per byte), plus room for the other
    parameters and headers. granian's request target stops at ``GRANIAN_TARGET_BYTES`` whatever this says
    (``Settings.request_target_limit``): a longer one is answered 414 before the app sees it."""
    return settings.max_query_bytes * 3 + 16 * 1024


def server_config(app: FastAPI | str, settings: Settings, host: str, port: int, log_level: str = "info", *,
                  factory: bool = False, processes: int = 1) -> uvicorn.Config:
    """uvicorn set up for our limits (``request_headroom``). For several processes, ``app`` is the import
    path of an app factory (``factory=True``)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        factory=factory,
        workers=processes,
        h11_max_incomplete_event_size=request_headroom(settings),
        server_header=False,
        access_log=settings.access_log,  # off by default: a line per request cost about 0.2 ms of the event loop
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket several front-end processes share, inheritable by them. Made with IPPROTO_TCP as its
    protocol: asyncio sets TCP_NODELAY only on accepted sockets whose protocol says TCP, and a socket made
    with protocol 0 (as uvicorn's own ``Config.bind_socket`` makes it) left Nagle's algorithm on, which
    measured 44 ms per request here (the second segment of each answer waiting for the client's delayed ACK)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def granian_options(settings: Settings) -> dict:
    """granian set up for our limits, as it runs in ``kg serve`` and in ``kg.web.serving.live``: the ASGI
    interface with the lifespan (each process starts and stops its worker pool), HTTP/1.1 only, no
    websockets, a buffer of ``request_headroom``."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    return dict(interface=Interfaces.ASGI, http=HTTPModes.http1, websockets=False,
                http1_settings=HTTP1Settings(max_buffer_size=request_headroom(settings)),
                log_access=settings.access_log)


def proxied(app):
    """``app`` behind uvicorn's proxy-headers middleware, which takes the client's address (and scheme)
    from ``X-Forwarded-For`` (``X-Forwarded-Proto``) when the peer is trusted: ``FORWARDED_ALLOW_IPS``,
    default 127.0.0.1. uvicorn does that for every app it serves; granian does not, and the per-client
    caps count that address."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    return ProxyHeadersMiddleware(app, trusted_hosts=os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1")


def run_granian(settings: Settings, host: str, port: int, processes: int) -> None:
    """Serve with granian until SIGINT or SIGTERM: ``processes`` worker processes on one port, each
    building its app from the environment (``kg.web.serving.served:proxied_app``, as ``--processes N`` does with
    uvicorn), a worker that dies replaced."""
    from granian import Granian

    Granian("kg.web.serving.served:proxied_app", factory=True, address=host, port=port, workers=processes,
            respawn_failed_workers=True, **granian_options(settings)).serve()
