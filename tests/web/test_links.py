"""The server's origin as a request sees it: read from the Host header directly (remembered per scheme and
host), it is what Starlette's ``base_url`` gives, whatever the header holds."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from starlette.requests import Request

from kg.web.links import origin_of

SETTINGS = SimpleNamespace(public_url=None)


def _request(scheme: str, host: bytes | None) -> Request:
    headers = [(b"accept", b"*/*")] + ([(b"host", host)] if host is not None else [])
    return Request({"type": "http", "scheme": scheme, "server": ["10.0.0.1", 8080],  # a list, as some servers give "path": "/sparql",
                    "root_path": "", "query_string": b"", "headers": headers, "method": "GET"})


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize(
    "host", [b"127.0.0.1:8000", b"example.org", b"EXAMPLE.org:443", b"[::1]:8000", b"evil.org/x?y#z", b"h\xe9", b"", None]
)
def test_origin_is_starlettes(scheme, host):
    request = _request(scheme, host)
    parts = urlsplit(str(_request(scheme, host).base_url))
    assert origin_of(SETTINGS, request) == f"{parts.scheme}://{parts.netloc}"


def test_public_url_wins():
    assert origin_of(SimpleNamespace(public_url="https://kg.example.org"), _request("http", b"x")) == "https://kg.example.org"
