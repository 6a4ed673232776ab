"""/dumps/: only the files SHA256SUMS lists, checksum ETags, byte ranges, gzip."""

from __future__ import annotations

import gzip
import hashlib

import pytest


def sums(settings) -> dict[str, str]:
    out = {}
    for line in (settings.dist_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        out[name.lstrip("*")] = digest
    return out


def test_listing(client, settings):
    r = client.get("/dumps/")
    assert r.status_code == 200
    for name, digest in sums(settings).items():
        assert f"/dumps/{name}" in r.text and digest in r.text


@pytest.mark.parametrize("name", ["dataset.nq", "dataset.trig", "dataset.ttl", "dataset.jsonld", "void.ttl"])
def test_file_matches_its_checksum(client, settings, name):
    digest = sums(settings)[name]
    r = client.get(f"/dumps/{name}", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == digest
    assert r.headers["etag"] == f'"{digest}"'
    assert r.headers["accept-ranges"] == "bytes"
    assert client.get(f"/dumps/{name}", headers={"If-None-Match": r.headers["etag"],
                                                 "Accept-Encoding": "identity"}).status_code == 304


def test_range(client, settings):
    whole = (settings.dist_dir / "dataset.nq").read_bytes()
    r = client.get("/dumps/dataset.nq", headers={"Range": "bytes=10-109", "Accept-Encoding": "gzip"})
    assert r.status_code == 206
    assert r.content == whole[10:110]
    assert r.headers["content-range"] == f"bytes 10-109/{len(whole)}"
    bad = client.get("/dumps/dataset.nq", headers={"Range": f"bytes={len(whole) + 10}-"})
    assert bad.status_code == 416


def test_gzip(client, settings):
    whole = (settings.dist_dir / "dataset.nq").read_bytes()
    with client.stream("GET", "/dumps/dataset.nq", headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["etag"].endswith('-gzip"')
    assert gzip.decompress(raw) == whole and len(raw) < len(whole)


def test_checksums_file(client, settings):
    r = client.get("/dumps/SHA256SUMS", headers={"Accept-Encoding": "identity"})
    assert r.content == (settings.dist_dir / "SHA256SUMS").read_bytes()


@pytest.mark.parametrize("name", ["nothing.nq", "..%2Fpyproject.toml", "%2e%2e", ".hidden", "build.json%00.nq",
                                  "..%5C..%5Cetc%5Cpasswd"])
def test_only_listed_files(client, name):
    r = client.get(f"/dumps/{name}")
    assert r.status_code == 404
