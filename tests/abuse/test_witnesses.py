"""The witnesses can see what they are there to see: a connection to the listener, an open of the pipe.
(Without this, a listener or canary that never notices anything would pass every abuse test.)"""

from __future__ import annotations

import threading

import httpx


def test_listener_records_a_request(witness_kinds):
    listener = witness_kinds[0]()
    try:
        try:
            httpx.get(listener.url + "probe", timeout=2)
        except httpx.HTTPError:
            pass  # the listener answers nothing; the connection is what counts
        listener.thread.join(timeout=0.5)
        assert any(b"GET /probe" in hit for hit in listener.hits)
    finally:
        listener.close()


def test_canary_notices_a_read(witness_kinds, tmp_path):
    canary = witness_kinds[1](tmp_path)
    reader = threading.Thread(target=lambda: open(canary.path, "rb").close())
    reader.start()
    reader.join(timeout=5)
    assert canary.opened.wait(5)
    canary.close()
