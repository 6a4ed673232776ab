"""kg.web.serving.response_cache: whole GET/HEAD answers kept and sent again by the rules of a shared HTTP cache."""

from __future__ import annotations

import pytest

from asgi_call import call
from kg.web.serving.response_cache import ResponseCache

PUBLIC = [(b"cache-control", b"public, max-age=300"), (b"vary", b"Accept")]


class Origin:
    """An ASGI app that counts its calls and answers as told, in one or more body parts."""

    def __init__(self, status=200, headers=PUBLIC, parts=(b"answer",), length=True):
        self.calls = 0
        self.status, self.headers, self.parts, self.length = status, list(headers), parts, length

    async def __call__(self, scope, receive, send):
        self.calls += 1
        body = b"".join(self.parts)
        headers = self.headers + ([(b"content-length", str(len(body)).encode())] if self.length else [])
        headers.append((b"x-call", str(self.calls).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        for i, part in enumerate(self.parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(self.parts) - 1})


def request(app, path="/sparql", query=b"query=x", method="GET", headers=(), host=b"kg.test"):
    scope = {"type": "http", "method": method, "scheme": "http", "path": path, "root_path": "",
             "query_string": query, "headers": [(b"host", host)] + list(headers)}
    status, sent, body = call(app, scope)
    return status, dict(sent), body


def cache(origin, entries=100, max_bytes=1 << 20, clock=None):
    return ResponseCache(origin, max_entries=entries, max_bytes=max_bytes, **({"clock": clock} if clock else {}))


def test_a_repeated_get_is_answered_from_the_cache_byte_for_byte():
    origin = Origin()
    app = cache(origin)
    first = request(app)
    second = request(app)
    assert origin.calls == 1
    assert first == second == (200, {**dict(PUBLIC), b"content-length": b"6", b"x-call": b"1"}, b"answer")
    assert (app.hits, app.misses) == (1, 1)


def test_answers_in_several_parts_are_kept_whole():
    origin = Origin(parts=(b"ab", b"cd", b"ef"))
    app = cache(origin)
    assert request(app)[2] == request(app)[2] == b"abcdef"
    assert origin.calls == 1


def test_the_headers_named_by_vary_select_the_variant():
    origin = Origin(headers=[(b"cache-control", b"public, max-age=300"), (b"vary", b"Accept, Accept-Language")])
    app = cache(origin)
    json = [(b"accept", b"application/json")]
    request(app, headers=json)
    request(app, headers=json)
    assert origin.calls == 1
    request(app, headers=[(b"accept", b"text/html")])
    request(app, headers=json + [(b"accept-language", b"ko")])
    request(app)  # no Accept at all is a variant of its own
    assert origin.calls == 4
    assert request(app, headers=[(b"accept", b"text/html")])[1][b"x-call"] == b"2"
    assert len(app) == 4


def test_other_urls_methods_and_hosts_are_other_entries():
    origin = Origin()
    app = cache(origin)
    request(app)
    request(app, query=b"query=y")
    request(app, path="/other")
    request(app, method="HEAD")
    request(app, host=b"elsewhere.test")
    assert origin.calls == 5
    request(app, headers=[(b"x-forwarded-for", b"10.0.0.1")])  # not in Vary: the same entry
    assert origin.calls == 5


@pytest.mark.parametrize("origin", [
    Origin(status=404),
    Origin(status=503, headers=[(b"cache-control", b"no-store")]),
    Origin(headers=[(b"cache-control", b"no-store")]),
    Origin(headers=[(b"cache-control", b"private, max-age=300")]),
    Origin(headers=[(b"cache-control", b"public, no-cache, max-age=300")]),
    Origin(headers=[(b"cache-control", b"public")]),
    Origin(headers=[(b"cache-control", b"public, max-age=0")]),
    Origin(headers=[]),
    Origin(headers=PUBLIC + [(b"set-cookie", b"a=b")]),
    Origin(headers=[(b"cache-control", b"public, max-age=300"), (b"vary", b"*")]),
    Origin(length=False),  # streamed (chunked): not kept
], ids=["404", "503", "no-store", "private", "no-cache", "no-max-age", "max-age-0", "no-cache-control",
        "set-cookie", "vary-star", "streamed"])
def test_answers_that_may_not_be_shared_are_never_kept(origin):
    app = cache(origin)
    request(app)
    request(app)
    assert origin.calls == 2
    assert len(app) == 0


@pytest.mark.parametrize("header", [b"if-none-match", b"if-modified-since", b"range", b"authorization", b"cookie"])
def test_conditional_and_personal_requests_go_to_the_application(header):
    origin = Origin()
    app = cache(origin)
    request(app)
    request(app, headers=[(header, b"x")])
    assert origin.calls == 2
    request(app)
    assert origin.calls == 2  # the plain request is still answered from the cache


def test_post_is_never_cached():
    origin = Origin()
    app = cache(origin)
    request(app, method="POST")
    request(app, method="POST")
    assert origin.calls == 2 and len(app) == 0


def test_an_answer_is_kept_no_longer_than_its_max_age():
    now = [1000.0]
    origin = Origin()
    app = cache(origin, clock=lambda: now[0])
    request(app)
    now[0] += 299
    request(app)
    assert origin.calls == 1
    now[0] += 2
    request(app)
    assert origin.calls == 2
    assert len(app) == 1


def test_bounded_by_entries_least_recently_used_first():
    origin = Origin()
    app = cache(origin, entries=2)
    request(app, query=b"a")
    request(app, query=b"b")
    request(app, query=b"a")  # a is now the most recently used
    request(app, query=b"c")  # b goes
    assert len(app) == 2
    calls = origin.calls
    request(app, query=b"a")
    request(app, query=b"c")
    assert origin.calls == calls
    request(app, query=b"b")
    assert origin.calls == calls + 1


def test_bounded_by_bytes_and_large_answers_pass_uncached():
    big = Origin(parts=(b"x" * 300,))
    app = cache(big, max_bytes=1000)  # an answer over 250 bytes is not kept
    assert request(app)[2] == b"x" * 300
    request(app)
    assert big.calls == 2 and len(app) == 0
    small = Origin(parts=(b"y" * 150,))
    app = cache(small, max_bytes=1000)
    for q in (b"1", b"2", b"3", b"4", b"5", b"6"):
        request(app, query=q)
    assert app._bytes <= 1000
    assert 0 < len(app) < 6


def test_no_entries_means_no_cache():
    origin = Origin()
    app = cache(origin, entries=0)
    request(app)
    request(app)
    assert origin.calls == 2 and len(app) == 0


def test_the_served_endpoint_answers_a_repeated_get_from_the_edge_cache(server, client):
    edge = server.app.layer(ResponseCache)
    params = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } # test_response_cache"}
    accept = {"Accept": "application/sparql-results+json"}
    first = client.get("/sparql", params=params, headers=accept)
    hits = edge.hits
    second = client.get("/sparql", params=params, headers=accept)
    assert first.status_code == second.status_code == 200
    assert edge.hits == hits + 1
    assert second.content == first.content
    assert {k: v for k, v in second.headers.items() if k != "date"} == {k: v for k, v in first.headers.items() if k != "date"}
    # a revalidation goes to the application, which answers 304 itself
    assert client.get("/sparql", params=params, headers={**accept, "If-None-Match": first.headers["etag"]}).status_code == 304
    assert edge.hits == hits + 1
    # another representation of the same URL is another entry
    xml = client.get("/sparql", params=params, headers={"Accept": "application/sparql-results+xml"})
    assert xml.headers["content-type"].startswith("application/sparql-results+xml")
    # errors are never kept
    bad = {"query": "SELECT * WHERE { ?s ?p }"}
    for _ in range(2):
        assert client.get("/sparql", params=bad).status_code == 400
    assert edge.hits == hits + 1
