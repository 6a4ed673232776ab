"""The app served in a background thread, by uvicorn or granian as ``settings.http_server`` says: for
tests, notebooks and embedding.

``with LiveServer(settings) as live: httpx.get(live.url + "/sparql", ...)`` serves the build of
``settings`` on a free loopback port until the block ends.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import urllib.error
import urllib.request

import uvicorn

from ...config import Settings
from ..app import create_app
from .server import granian_options, proxied, server_config


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``create_app(settings, **shared)`` served on 127.0.0.1 in a thread, for a ``with`` block.

    ``shared``: create_app's ``engine=`` and ``build=``, to serve another build through a running pool.
    """

    def __init__(self, settings: Settings, start_timeout: float = 60.0, **shared):
        self.settings = settings
        self.app = create_app(settings, **shared)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        serving = _Granian if settings.http_server == "granian" else _Uvicorn
        self.serving = serving(self.app, settings, self.port)

    def __enter__(self) -> "LiveServer":
        self.serving.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.serving.started(self.url):
            if time.monotonic() > deadline or not self.serving.thread.is_alive():
                self.serving.stop()
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.serving.stop()

    @property
    def engine(self):
        return self.app.state.engine


class _Uvicorn:
    def __init__(self, app, settings: Settings, port: int):
        self.server = uvicorn.Server(server_config(app, settings, "127.0.0.1", port, "warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def started(self, url: str) -> bool:
        return self.server.started

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class _Granian:
    """granian's embedded server (one process: this one) on an event loop of its own thread."""

    def __init__(self, app, settings: Settings, port: int):
        from granian.log import LogLevels
        from granian.server.embed import Server

        self.loop = asyncio.new_event_loop()
        self.server = Server(proxied(app), address="127.0.0.1", port=port, log_level=LogLevels.warning,
                             **granian_options(settings))
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve())
        finally:
            self.loop.close()

    def started(self, url: str) -> bool:
        """Once the app answers (its lifespan has started the worker pool): granian says nothing sooner."""
        try:
            with urllib.request.urlopen(url + "/sparql?query=ASK%7B%7D", timeout=5) as answer:
                return answer.status == 200
        except (urllib.error.URLError, ConnectionError):  # not listening yet, or not ready (HTTPError)
            return False

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(timeout=15)
