"""Path tricks on every static and entity route: encoded and double-encoded `..`, NUL bytes, backslashes,
absolute paths, overlong UTF-8, and symbolic links planted in the dump folder. Nothing outside what is
published is ever served."""

from __future__ import annotations

import http.client
import shutil
from dataclasses import replace

import pytest

from kg.store import read_build

pytestmark = pytest.mark.usefixtures("nothing_written")

ROUTES = ["/static/", "/vendor/yasgui/", "/dumps/", "/doc/", "/doc/id/", "/id/", "/graph/", "/ontology/kg/",
          "/shapes.", "/ontology/kg.", "/cite?format=bibtex&iri="]
TRICKS = [
    "../../../../../../etc/passwd", "..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%5c..%5c..%5cetc%5cpasswd", "..\\..\\..\\etc\\passwd", "%00", "dataset.nq%00.html", "..%00/etc/passwd",
    "/etc/passwd", "%2fetc%2fpasswd", "//etc/passwd", "file:///etc/passwd", "..%c0%af..%c0%afetc%c0%afpasswd",
    "....//....//etc/passwd", "%2e%2e", "..", ".", "./../app.py", "..%2fapp.py", "../../../src/kg/web/app.py",
    "..%2f..%2f..%2fpyproject.toml", "../../../../package.json",
]
SECRETS = (b"root:x:0:", b"def create_app", b"[build-system]", b'"devDependencies"', b'"name": "kg"')


def get_raw(server, target: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.putheader("Accept", "*/*")
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.mark.parametrize("route", ROUTES)
def test_path_tricks(server, unharmed, route):
    for trick in TRICKS:
        status, body = get_raw(server, route + trick)
        assert status in (303, 400, 404, 405, 406), (route + trick, status)
        for secret in SECRETS:
            assert secret not in body, (route + trick, secret)
        if status == 303:  # only ever to a document on this server
            pytest.fail(f"{route + trick} redirected")


@pytest.mark.parametrize("target", ["/dumps/../build.json", "/dumps/%2e%2e/SHA256SUMS", "/static/../templates/base.html",
                                    "/static/%2e%2e/templates/base.html", "/vendor/yasgui/../../../package.json"])
def test_dot_segments_never_leave_the_folder(server, unharmed, target):
    status, body = get_raw(server, target)
    assert status in (200, 404), (target, status)
    assert b"{% block" not in body and b"devDependencies" not in body
    if status == 200:  # the client-normalised path is what was served, and it is something published
        assert target.startswith("/dumps/")


def test_symlinks_in_the_dump_folder_are_not_followed(server, settings, tmp_path, serving_kind):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN\n")
    dist = tmp_path / "dist"
    shutil.copytree(settings.dist_dir.resolve(), dist)
    (dist / "evil.nq").symlink_to(secret)
    (dist / "void.ttl").unlink()
    (dist / "void.ttl").symlink_to(secret)
    (dist / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    sums = (dist / "SHA256SUMS").read_text()
    sums += "".join(f"{'0' * 64}  {name}\n" for name in ("evil.nq", "../secret.txt", "/etc/passwd",
                                                          "linked-dir/secret.txt"))
    (dist / "SHA256SUMS").write_text(sums)
    other = replace(settings, dist=dist)
    with serving_kind(other, engine=server.engine, build=read_build(dist)) as live:
        for target in ("/dumps/evil.nq", "/dumps/void.ttl", "/dumps/..%2fsecret.txt", "/dumps/%2fetc%2fpasswd",
                       "/dumps/linked-dir%2fsecret.txt", "/dumps/linked-dir/secret.txt"):
            status, body = get_raw(live, target)
            assert status == 404, (target, status)
            assert b"TOP-SECRET" not in body and b"root:x:0:" not in body
        status, listing = get_raw(live, "/dumps/")
        assert status == 200 and b"TOP-SECRET" not in listing
        status, body = get_raw(live, "/dumps/dataset.nq")
        assert status == 200 and body == (dist / "dataset.nq").read_bytes()
