"""The build's files under /dumps/: only those listed in SHA256SUMS, with their checksum as ETag,
byte ranges, and gzip when the client accepts it (not for range requests)."""

from __future__ import annotations

import zlib
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from ...messages import Said
from ..links import Links, request_links
from ..render import CACHE_CONTROL, Problem, choose, render, respond

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
MEDIA = {
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".ttl": "text/turtle; charset=utf-8",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".rdf": "application/rdf+xml",
    ".txt": "text/plain; charset=utf-8",
}
CHUNK = 64 * 1024


def checksums(dist: Path) -> dict[str, str]:
    """name -> sha256 hex, from dist/SHA256SUMS (the list of what is published)."""
    path = dist / "SHA256SUMS"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")
        if name and "/" not in name and "\\" not in name and not name.startswith("."):
            out[name] = digest.strip()
    return out


def media_type(name: str) -> str:
    if name == "SHA256SUMS":
        return "text/plain; charset=utf-8"
    return MEDIA.get(Path(name).suffix, "application/octet-stream")


def accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        if fields[0].lower() in ("gzip", "x-gzip"):
            for f in fields[1:]:
                if f.replace(" ", "").lower() in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
                    return False
            return True
    return False


@router.api_route("/dumps", methods=READ, include_in_schema=False)
@router.api_route("/dumps/", methods=READ)
async def listing(request: Request, links: Links = Depends(request_links)) -> Response:
    fmt = choose(request, ("html",))
    dist = request.app.state.build.dist
    sums = checksums(dist)
    files = [
        {"name": name, "sha256": digest, "size": (dist / name).stat().st_size, "type": media_type(name)}
        for name, digest in sorted(sums.items())
        if (dist / name).is_file()
    ]
    if (dist / "SHA256SUMS").is_file():
        files.append({"name": "SHA256SUMS", "sha256": None, "size": (dist / "SHA256SUMS").stat().st_size, "type": "text/plain"})
    body = render(request, "dumps.html", files=files, links=links, build=request.app.state.build)
    return respond(request, body, fmt)


@router.api_route("/dumps/{name}", methods=READ)
async def dump(name: str, request: Request) -> Response:
    dist = request.app.state.build.dist
    sums = checksums(dist)
    if name != "SHA256SUMS" and name not in sums:
        raise Problem(404, Said("no_dump_listed", name=name[:100]))
    path = dist / name
    if not path.is_file() or path.is_symlink():
        raise Problem(404, Said("no_dump", name=name[:100]))
    tag = sums.get(name) or request.app.state.build.version
    gz = accepts_gzip(request.headers.get("accept-encoding")) and "range" not in request.headers
    etag = f'"{tag}{"-gzip" if gz else ""}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if sums.get(name):
        headers["Digest"] = f"sha-256={sums[name]}"
    match = request.headers.get("if-none-match", "")
    if match and (match.strip() == "*" or etag in [m.strip() for m in match.split(",")]):
        return Response(status_code=304, headers=headers)
    if gz:
        headers["Content-Encoding"] = "gzip"
        return StreamingResponse(_gzip(path), media_type=media_type(name), headers=headers)
    return FileResponse(path, media_type=media_type(name), headers=headers, filename=None)


def _gzip(path: Path):
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            out = compressor.compress(chunk)
            if out:
                yield out
    yield compressor.flush()
