"""The app served by uvicorn in a background thread: for tests, notebooks and embedding.

``with LiveServer(settings) as live: httpx.get(live.url + "/sparql", ...)`` serves the build of
``settings`` on a free loopback port until the block ends.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from ..config import Settings
from .app import create_app
from .server import server_config


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
        self.server = uvicorn.Server(server_config(self.app, settings, "127.0.0.1", self.port, "warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    @property
    def engine(self):
        return self.app.state.engine
