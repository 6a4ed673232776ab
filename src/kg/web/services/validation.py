"""The validation service: ``POST /validate`` checks a user's RDF against our shapes, ``GET /validate`` is a
form to paste or upload it (no JavaScript).

The same functions as ``kg validate`` do the work (``kg.inputs.read_graph`` reads the data, with no remote
JSON-LD context fetched and ``owl:imports`` never followed; ``kg.validation.run.validate_graph`` runs the shapes and
the violation queries), so the report has the same wording. They run in worker processes that hold the
shapes, the ontology and the checks parsed once: a validation over its wall-clock limit
(``KG_VALIDATE_TIMEOUT``) or its memory (``KG_WORKER_MEMORY_MB``) gets its worker killed and replaced, and
a body over ``KG_VALIDATE_MAX_BYTES`` is refused before anything is parsed.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import queue
import resource
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from rdflib import Graph
from rdflib.namespace import RDF, SH
from starlette.requests import Request as StarletteRequest

from ...config import Settings
from ...inputs import MEDIA_TYPES, InputError
from ...sparql.formats import REPORT, offered
from ..links import links_for
from ..render import Problem, choose, html_vary, render

# kg.validation.run.FAIL_ON, named here so that this process never imports the validator (its workers do)
FAIL_ON = ("violation", "warning", "info")
from .sparql import read_body

router = APIRouter()
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# what a form or upload may name as its format (kg.inputs names), and how the page lists them
FORM_FORMATS = {"turtle": "Turtle", "trig": "TriG", "nt": "N-Triples", "nquads": "N-Quads", "json-ld": "JSON-LD"}
SUFFIXES = {".ttl": "turtle", ".trig": "trig", ".nt": "nt", ".nq": "nquads", ".jsonld": "json-ld", ".json": "json-ld"}
# report formats -> rdflib serializer names (the report graph is rdflib's, from pyshacl)
RDFLIB = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml", "trig": "trig",
          "nquads": "nquads"}
STARTUP_TIMEOUT = 120.0  # seconds for a worker to parse the shapes; not counted in a validation's limit


def shape_files(settings: Settings) -> list[str]:
    """Names a client may give as ``?shapes=NAME``: our shape files without ``.ttl`` (not the prefixes)."""
    folder = settings.root / "ontology" / "shapes"
    return sorted(p.stem for p in folder.glob("*.ttl") if p.stem != "prefixes")


def shapes_of_file(shapes: Graph, file_shapes: Graph) -> Graph:
    """The shapes a file declares (those with targets), with everything they reference from the whole set
    (nested node shapes, property shapes, SPARQL constraints and their prefix declarations), unchanged: a
    node is checked exactly as in a full run, only fewer shapes run."""
    defined = set(shapes.subjects())
    roots = {s for s in file_shapes.subjects() if any(file_shapes.value(s, p) is not None for p in TARGETS)}
    out = Graph()
    for prefix, ns in shapes.namespaces():
        out.bind(prefix, ns, override=False)
    todo, seen = list(roots), set(roots)
    while todo:
        node = todo.pop()
        for p, o in shapes.predicate_objects(node):
            if p in TARGETS and node not in roots:
                continue
            out.add((node, p, o))
            if p != RDF.type and o in defined and o not in seen:
                seen.add(o)
                todo.append(o)
    return out


# --- the worker side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    data: bytes
    fmt: str  # a kg.inputs format name
    source: str  # how errors name the input: "request body", or the uploaded file's name
    shapes: str | None  # one shape file's name, or None for all
    output: str  # a formats.BY_NAME name of kind rdf or report, or "html" (the worker sends JSON and text)
    fail_on: str = "violation"  # the least severe result that counts as failure (kg validate --fail-on)


def _worker_main(conn, settings: Settings, memory_bytes: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from ...build import authored
    from ...inputs import read_graph
    from ...iris import Iris
    from ...validation.run import load_shapes, validate_graph, violation_queries

    iris = Iris(settings.base_iri)
    everything = load_shapes(settings)
    ontology = authored.parse_turtle(settings.root / authored.ONTOLOGY, iris)
    checks = violation_queries(settings)
    folder = settings.root / "ontology" / "shapes"
    per_file: dict[str, Graph] = {}
    try:
        conn.send(("ready", None))
    except (BrokenPipeError, OSError):
        return
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            try:
                text = job.data.decode("utf-8")
            except UnicodeDecodeError as err:
                raise InputError(job.source, "not UTF-8 text", job.data[: err.start].count(b"\n") + 1) from None
            data = read_graph(text, job.fmt, job.source)
            if job.shapes is None:
                shapes = everything
            else:
                if job.shapes not in per_file:
                    per_file[job.shapes] = shapes_of_file(everything, authored.parse_turtle(folder / f"{job.shapes}.ttl", iris))
                shapes = per_file[job.shapes]
            report = validate_graph(data, shapes, ontology, checks if job.shapes is None else [])
            if job.output in ("html", "report-json"):
                body = report.json(job.fail_on).encode("utf-8")
            elif job.output == "turtle":
                body = report.turtle().encode("utf-8")
            else:
                g = Graph()
                if report.report_graph is not None:
                    g += report.report_graph
                g.bind("sh", SH)
                body = g.serialize(format=RDFLIB[job.output], encoding="utf-8")
            reply = ("ok", (report.conforms, report.fails(job.fail_on), body, report.text(), len(data)))
        except InputError as err:
            reply = ("input", (err.message, err.line, err.column, str(err)))
        except Exception as err:  # a bug: the parent answers 500 with its name
            reply = ("error", f"{type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


# --- the parent side ------------------------------------------------------------------------------


class _Worker:
    def __init__(self, process, conn):
        self.process = process
        self.conn = conn
        self.ready = False


class ValidationPool:
    """``size`` validation workers, started on first use; a job over the time limit kills its worker."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.timeout = settings.validate_timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self.replaced = 0
        self.pids: set[int] = set()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        for _ in range(self.settings.validate_workers):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        mb = self.settings.worker_memory_mb
        process = self._ctx.Process(target=_worker_main, args=(child, self.settings, mb * 2**20 if mb else None),
                                    name="kg-validation-worker", daemon=True)
        process.start()
        child.close()
        self.pids.add(process.pid)
        return _Worker(process, parent)

    def _discard(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        self.pids.discard(worker.process.pid)
        self.replaced += 1
        if not self._closed:
            self._idle.put(self._spawn())

    def _acquire(self) -> _Worker:
        self.start()
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Problem(503, f"all {self.settings.validate_workers} validation workers stayed busy for "
                               f"{self.timeout:g} s (KG_VALIDATE_WORKERS); try again later") from None
        if not worker.ready:
            try:
                worker.ready = bool(worker.conn.poll(STARTUP_TIMEOUT)) and worker.conn.recv()[0] == "ready"
            except (EOFError, OSError):
                worker.ready = False
            if not worker.ready:
                self._discard(worker)
                raise Problem(503, "a validation worker could not start; it has been replaced")
        return worker

    def run(self, job: Job):
        """("ok", (conforms, body, text, triples)) or ("input", (message, line, column, full message))."""
        if self._closed:
            raise Problem(503, "the validation service is shutting down")
        worker = self._acquire()
        try:
            worker.conn.send(job)
            if not worker.conn.poll(self.timeout):
                self._discard(worker)
                raise Problem(503, f"validation stopped after {self.timeout:g} s, the wall-clock limit "
                                   "(KG_VALIDATE_TIMEOUT); send less data or validate with `kg validate`")
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=2)
            aborted = worker.process.exitcode == -signal.SIGABRT
            self._discard(worker)
            if aborted:
                raise Problem(503, f"validation needed more memory than a worker may use "
                                   f"({self.settings.worker_memory_mb} MB, KG_WORKER_MEMORY_MB)") from None
            raise Problem(503, "the validation worker stopped; it has been replaced") from None
        self._idle.put(worker)
        if status == "error":
            raise RuntimeError(payload)
        return status, payload

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.conn.close()
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)


def install(app: FastAPI) -> None:
    """Add the validation routes and their worker pool (started on the first validation) to an app."""
    app.state.validation = ValidationPool(app.state.settings)
    app.include_router(router)


# --- reading the request --------------------------------------------------------------------------


def _format_named(name: str | None, filename: str | None) -> str | None:
    if name and name != "auto":
        if name not in FORM_FORMATS:
            raise Problem(400, f"format {name[:40]!r} is not one of {', '.join(FORM_FORMATS)}")
        return name
    if filename:
        return SUFFIXES.get(Path(filename).suffix.lower())
    return None


async def _read_input(request: Request, limit: int) -> tuple[bytes, str, str, dict]:
    """(data, kg.inputs format, source name, other form fields) from a raw RDF body or a form."""
    ctype = request.headers.get("content-type", "")
    media, _, params = ctype.partition(";")
    media = media.strip().lower()
    charset = next((p.split("=", 1)[1].strip().strip('"').lower() for p in params.split(";")
                    if p.strip().lower().startswith("charset=")), None)
    if charset not in (None, "utf-8", "utf8") and media not in ("multipart/form-data",):
        raise Problem(415, f"charset {charset[:40]!r} is not accepted; send UTF-8")
    raw = await read_body(request, limit, "KG_VALIDATE_MAX_BYTES")
    if media in MEDIA_TYPES:
        return raw, MEDIA_TYPES[media], "request body", {}
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async def replay():
            return {"type": "http.request", "body": raw, "more_body": False}

        form = await StarletteRequest(request.scope, replay).form(max_files=2, max_fields=8, max_part_size=limit)
        try:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("file")
            if upload is not None and not isinstance(upload, str) and upload.filename:
                data, name = await upload.read(), upload.filename
            elif fields.get("data", "").strip():
                data, name = fields["data"].encode("utf-8"), None
            else:
                raise Problem(400, "the form holds no data: paste RDF into 'data' or upload a file as 'file'")
        finally:
            await form.close()
        fmt = _format_named(fields.get("format"), name)
        if fmt is None:
            raise Problem(415, f"say which format {name or 'the pasted text'} is in ('format': "
                               f"{', '.join(FORM_FORMATS)}) or upload a file ending in {', '.join(SUFFIXES)}")
        return data, fmt, name or "pasted text", fields
    offered_types = ", ".join(sorted(MEDIA_TYPES))
    raise Problem(415, f"Content-Type {media[:80] or '(none)'!r} is not accepted; send {offered_types}, "
                       "or a multipart/form-data upload")


# --- routes ---------------------------------------------------------------------------------------

OPENAPI = {
    "requestBody": {
        "required": True,
        "description": "RDF to validate, in the body with its media type, or as a form: `file` (an upload; its "
                       "suffix names the format unless `format` does) or `data` (pasted text, with `format`), and "
                       "optionally `shapes`. JSON-LD contexts must be inline (a context by IRI is refused, never "
                       "fetched); `owl:imports` is never followed.",
        "content": {
            **{m: {"schema": {"type": "string"}} for m in
               ("text/turtle", "application/trig", "application/n-triples", "application/n-quads",
                "application/ld+json")},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"},
                "data": {"type": "string"},
                "format": {"type": "string", "enum": list(FORM_FORMATS)},
                "shapes": {"type": "string"},
                "fail-on": {"type": "string", "enum": ["violation", "warning", "info"]},
            }}},
        },
    },
    "parameters": [{"name": "fail-on", "in": "query", "required": False,
                    "schema": {"type": "string", "enum": ["violation", "warning", "info"], "default": "violation"},
                    "description": "the least severe result that counts as failure: the JSON report's `fails` and "
                                   "the `KG-Fails` header say whether one was found (as `kg validate --fail-on` "
                                   "sets its exit code); `conforms` and `sh:conforms` follow SHACL, false "
                                   "whenever there is any result"},
                   {"name": "shapes", "in": "query", "required": False, "schema": {"type": "string"},
                    "description": "validate against one shape file of /shapes only (e.g. `observation`), with the "
                                   "shapes it references; default: every shape and the violation queries"}],
    "responses": {
        "200": {"description": "the validation report (whether or not the data conforms; see `conforms`): the "
                               "SHACL report graph in any RDF format (Turtle by default), the report as plain "
                               "JSON (`application/json`), or an HTML page, by Accept",
                "content": {m: {} for m in ("text/turtle", "application/ld+json", "application/json",
                                            "text/html", "application/n-triples")}},
        "400": {"description": "the data does not parse: the message names the line and column"},
        "406": {"description": "no offered report format fits Accept"},
        "413": {"description": "the body is over KG_VALIDATE_MAX_BYTES"},
        "415": {"description": "a media type (or charset) that is not accepted"},
        "503": {"description": "the validation ran over KG_VALIDATE_TIMEOUT (or its memory) and was stopped"},
    },
}


@router.api_route("/validate", methods=["GET", "HEAD"], include_in_schema=False)
async def page(request: Request) -> Response:
    fmt = choose(request, ("html",))
    settings: Settings = request.app.state.settings
    body = render(request, "validate.html", links=links_for(request), files=shape_files(settings),
                  formats=FORM_FORMATS, settings=settings, report=None, fields={})
    return Response(body, media_type=fmt.header, headers={"Cache-Control": "public, max-age=300", "Vary": html_vary()})


@router.post("/validate", openapi_extra=OPENAPI, summary="Validate RDF against the kg shapes",
             description="The same validation as `kg validate`: SHACL Core and SHACL-SPARQL shapes and the "
                         "violation queries, with the same report wording. Limits: KG_VALIDATE_MAX_BYTES, "
                         "KG_VALIDATE_TIMEOUT.")
async def validate(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    fmt = choose(request, REPORT, request.query_params.get("format"))
    data, in_fmt, source, fields = await _read_input(request, settings.validate_max_bytes)
    shapes = request.query_params.get("shapes") or fields.get("shapes") or None
    if shapes == "all":
        shapes = None
    files = shape_files(settings)
    if shapes is not None and shapes not in files:
        raise Problem(400, f"no shape file named {shapes[:60]!r}; one of: {', '.join(files)}")
    fail_on = request.query_params.get("fail-on") or fields.get("fail-on") or "violation"
    if fail_on not in FAIL_ON:
        raise Problem(400, f"fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on[:40]!r}")
    job = Job(data, in_fmt, source, shapes, fmt.name, fail_on)
    pool: ValidationPool = request.app.state.validation
    status, payload = await asyncio.get_running_loop().run_in_executor(None, pool.run, job)
    headers = {"Cache-Control": "no-store", "Vary": html_vary() if fmt.kind == "html" else "Accept"}
    if status == "input":
        message, line, column, full = payload
        if fmt.kind == "html":
            body = render(request, "validate.html", links=links_for(request), files=files, formats=FORM_FORMATS,
                          settings=settings, report=None, error=full, fields=fields)
            return Response(body, status_code=400, media_type=fmt.header, headers=headers)
        raise Problem(400, full)
    conforms, fails, body, text, triples = payload
    headers["KG-Conforms"] = "true" if conforms else "false"
    headers["KG-Fails"] = "true" if fails else "false"
    if fmt.kind == "html":
        report = json.loads(body)
        groups: dict[str, list] = {}
        for r in report["results"]:
            groups.setdefault(r["focus"], []).append(r)
        body = render(request, "validate.html", links=links_for(request), files=files, formats=FORM_FORMATS,
                      settings=settings, report=report, groups=groups, summary=text.splitlines()[0],
                      triples=triples, source=source, shapes=shapes, fields=fields, fail_on=fail_on, fails=fails)
    return Response(body, media_type=fmt.header, headers=headers)


__all__ = ["install", "router", "ValidationPool", "shapes_of_file", "shape_files", "offered"]
