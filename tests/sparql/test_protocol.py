"""Request → query and dataset, and the status of every malformed request."""

from __future__ import annotations

import pytest

from kg.sparql.protocol import ProtocolError, parse_request

LIMIT = 1000


def parse(method="GET", qs="", ct=None, body=b""):
    return parse_request(method, qs, ct, body, LIMIT)


def test_get_with_plus_and_percent_decoding():
    r = parse(qs="query=SELECT+%3Fs+%7B%7D&default-graph-uri=http%3A%2F%2Fa%2Fg&named-graph-uri=http%3A%2F%2Fa%2Fh")
    assert r.query == "SELECT ?s {}"
    assert r.default_graphs == ("http://a/g",)
    assert r.named_graphs == ("http://a/h",)


def test_get_without_parameters_is_service_description():
    assert parse().query is None


def test_form_post_reads_body_and_url_graphs():
    r = parse("POST", "default-graph-uri=http%3A%2F%2Fa%2Fg", "application/x-www-form-urlencoded; charset=UTF-8",
              b"query=ASK+%7B%7D&named-graph-uri=http%3A%2F%2Fa%2Fh")
    assert (r.query, r.default_graphs, r.named_graphs) == ("ASK {}", ("http://a/g",), ("http://a/h",))


def test_direct_post():
    r = parse("POST", "named-graph-uri=http%3A%2F%2Fa%2Fh", "application/sparql-query; charset=utf-8", "ASK { ?s ?p 'é' }".encode())
    assert r.query == "ASK { ?s ?p 'é' }"
    assert r.named_graphs == ("http://a/h",)


def test_format_parameter():
    assert parse(qs="query=ASK%7B%7D&format=csv").format == "csv"


@pytest.mark.parametrize(
    "method, qs, ct, body, status, words",
    [
        ("GET", "query=ASK%7B%7D&query=ASK%7B%7D", None, b"", 400, "2 'query'"),
        ("GET", "default-graph-uri=http%3A%2F%2Fa", None, b"", 400, "no 'query'"),
        ("GET", "update=CLEAR+ALL", None, b"", 400, "read-only"),
        ("GET", "query=%FF", None, b"", 400, "UTF-8"),
        ("GET", "query=" + "a" * 1001, None, b"", 413, "1000 bytes"),
        ("POST", "", None, b"query=ASK%7B%7D", 415, "without Content-Type"),
        ("POST", "", "text/plain", b"ASK {}", 415, "text/plain"),
        ("POST", "", "application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), 415, "utf-16"),
        ("POST", "", "application/x-www-form-urlencoded; charset=latin-1", b"query=ASK", 415, "latin-1"),
        ("POST", "", "application/sparql-query", b"ASK {\xff}", 400, "not UTF-8"),
        ("POST", "", "application/sparql-update", b"CLEAR ALL", 400, "read-only"),
        ("POST", "", "application/x-www-form-urlencoded", b"update=CLEAR+ALL", 400, "read-only"),
        ("POST", "", "application/x-www-form-urlencoded", b"default-graph-uri=x", 400, "without a 'query'"),
        ("POST", "query=ASK%7B%7D", "application/sparql-query", b"ASK {}", 400, "send one"),
        ("POST", "query=ASK%7B%7D", "application/x-www-form-urlencoded", b"query=ASK%7B%7D", 400, "2 'query'"),
        ("POST", "using-graph-uri=http%3A%2F%2Fa", "application/sparql-query", b"ASK {}", 400, "read-only"),
        ("PUT", "query=ASK%7B%7D", None, b"", 405, "PUT"),
    ],
)
def test_malformed(method, qs, ct, body, status, words):
    with pytest.raises(ProtocolError) as err:
        parse(method, qs, ct, body)
    assert err.value.status == status
    assert words in str(err.value)
