"""Fuzzing (issue 5): schemathesis generates requests for every operation of the app's own /openapi.json and
sends them over the socket (no 5xx, every status documented); hypothesis throws query-like strings at the
endpoint (never a 5xx)."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

pytestmark = pytest.mark.usefixtures("nothing_written")


def test_every_operation(server):
    """Each operation of the document, with generated parameters and bodies (schemathesis's own pytest
    plugin does not run under pytest 9, so its strategies are driven by hypothesis here)."""
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:

        @given(case=operation.as_strategy())
        @hsettings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                   database=None)
        def check(case):
            case.call_and_validate(checks=[not_a_server_error, status_code_conformance], timeout=30)

        check()


def test_schema_covers_every_route(server, served_paths):
    """Every route the app serves (but the assets, aliases with or without a slash, and pages it keeps out of
    the document) is in the document fuzzed."""
    paths = set(httpx.get(server.url + "/openapi.json", timeout=30).json()["paths"])
    unlisted = {"/openapi.json", "/static", "/sparql/", "/dumps"} | {
        p for p in served_paths if any(getattr(r, "path", None) == p and not getattr(r, "include_in_schema", True)
                                       for r in _all_routes(server.app.routes))}
    served = {p.replace(":path}", "}") for p in served_paths - unlisted}
    assert served <= paths, served - paths


KEYWORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL", "UNION", "GRAPH", "SERVICE",
            "FROM", "NAMED", "LOAD", "INSERT", "DELETE", "BIND", "VALUES", "GROUP BY", "ORDER BY", "LIMIT", "PREFIX",
            "BASE", "REGEX", "COUNT", "*", "?s", "?p", "?o", "$x", "{", "}", "(", ")", "[", "]", ".", ";", ",", "<",
            ">", "<http://a/>", "<file:///etc/passwd>", "ex:", "_:b", '"', "'", '"""', "\\u0053", "@en", "^^", "#",
            "a", "1", "-1.5e9", "true", "|", "/", "^", "+", "?", "!", "=", "&&", "\x00", "\n", " ", "é", "𝔘"]


@given(st.lists(st.sampled_from(KEYWORDS) | st.text(max_size=6), max_size=40).map(" ".join))
@hsettings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
           database=None)
def test_query_like_strings_never_5xx(server, text):
    r = httpx.post(server.url + "/sparql", content=text.encode("utf-8", "surrogatepass"),
                   headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code < 500 or "KG_QUERY_TIMEOUT" in r.text or "KG_WORKER_MEMORY_MB" in r.text, (text, r.text)
    assert "Traceback" not in r.text


def _all_routes(routes):
    for route in routes:
        yield route
        if hasattr(route, "original_router"):
            yield from _all_routes(route.original_router.routes)
