"""Two servers' answers to the same request, made comparable: what the tests of the shortcuts through the
server (inline lookups, the lookup lane) compare with a server that takes none of them."""

from __future__ import annotations

import httpx


def comparable(response: httpx.Response, origin: str) -> tuple:
    """Status, the headers in order but the date, and the body, with the server's own origin (in links and
    pages) as ORIGIN."""
    headers = [(k, v.replace(origin, "ORIGIN")) for k, v in response.headers.multi_items() if k != "date"]
    return response.status_code, headers, response.content.replace(origin.encode(), b"ORIGIN")
