"""Load a build into any SPARQL 1.1 store through the Graph Store Protocol (``kg publish --to URL``).

Graph by graph: the named graphs of ``dataset.nq`` are split into one N-Triples file each (streamed, in
sorted graph order), then each is sent with ``PUT <URL>?graph=<IRI>``, which the protocol defines as
replacing that graph, so each graph changes from the previous version to this one in one step where the
store makes a PUT atomic (see its manual). The whole dataset is not replaced in one transaction: between
two PUTs a reader can see some graphs new and some old. Graphs the store holds that this build no longer
has are left alone.

A store that wants a login (Virtuoso's ``/sparql-graph-crud-auth``, GraphDB or Fuseki with security on)
gets ``user`` and ``password`` by HTTP Basic or Digest authentication, whichever it asks for, and gets it
before the first upload: an unauthenticated ``HEAD`` asks which scheme, then Basic goes with every request,
and Digest answers the store's challenge once, on a second ``HEAD``, and then with every upload. Uploading a
graph first and logging in on the store's refusal does not work: Virtuoso answers 401 as soon as the
headers are in and drops the connection while a body of more than a few megabytes is still being sent.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from pyoxigraph import NamedNode, RdfFormat, parse, serialize

from .config import http_url_problem
from .store import BuildInfo


class PublishError(RuntimeError):
    """The store refused or failed a request; the message names the graph and the store's answer."""


@dataclass(frozen=True)
class Published:
    graph: str
    triples: int
    status: int


def split_graphs(dataset: Path, folder: Path, chunk: int = 10_000) -> dict[str, tuple[Path, int]]:
    """One N-Triples file per named graph of an N-Quads file: graph IRI -> (file, triples)."""
    pending: dict[str, list] = {}
    counts: dict[str, int] = {}
    paths: dict[str, Path] = {}

    def flush(graph: str) -> None:
        with open(paths[graph], "ab") as out:
            out.write(serialize(pending[graph], format=RdfFormat.N_TRIPLES))
        pending[graph] = []

    with open(dataset, "rb") as f:
        for quad in parse(f, format=RdfFormat.N_QUADS):
            if not isinstance(quad.graph_name, NamedNode):
                raise PublishError(f"{dataset}: a triple outside any named graph; a build names the graph of every triple")
            graph = quad.graph_name.value
            if graph not in paths:
                paths[graph] = folder / f"graph-{len(paths)}.nt"
                pending[graph], counts[graph] = [], 0
            pending[graph].append(quad.triple)
            counts[graph] += 1
            if len(pending[graph]) >= chunk:
                flush(graph)
    for graph in paths:
        flush(graph)
    return {graph: (paths[graph], counts[graph]) for graph in sorted(paths)}


def login(store: str, user: str | None, password: str | None, timeout: float) -> httpx.Auth | None:
    """How to log in to ``store`` as ``user``, settled (and the password tried) before anything is uploaded:
    see the module docstring. PublishError when the store refuses the login."""
    if user is None:
        return None
    try:
        asked = httpx.head(store, timeout=timeout).headers.get_list("www-authenticate")
        digest = any(h.lower().startswith("digest ") for h in asked)
        auth = httpx.DigestAuth(user, password or "") if digest else httpx.BasicAuth(user, password or "")
        tried = httpx.head(store, auth=auth, timeout=timeout)  # Digest: answers the challenge, reused after
    except httpx.HTTPError as err:
        raise PublishError(f"{store} could not be reached to log in: {err}") from None
    if tried.status_code == 401:
        raise PublishError(f"{store} refused the login of {user} ({'Digest' if digest else 'Basic'}): "
                           "the user or password is wrong")
    return auth


def graph_url(store: str, graph: str) -> httpx.URL:
    """``store?graph=<IRI>``, keeping any query parameters the store's URL has (httpx's ``params=`` would
    replace them)."""
    return httpx.URL(store).copy_merge_params({"graph": graph})


def put_graph(client: httpx.Client, store: str, graph: str, path: Path) -> int:
    """PUT one graph's N-Triples file: streamed from the file, or, when logged in, from memory, so that the
    login can send it again if the store asks anew midway (a Digest nonce gone stale)."""
    size = path.stat().st_size
    headers = {"Content-Type": "application/n-triples", "Content-Length": str(size)}
    try:
        with open(path, "rb") as f:
            response = client.put(graph_url(store, graph), headers=headers,
                                  content=f.read() if client.auth is not None else f)
    except httpx.TimeoutException:
        raise PublishError(f"{store} did not answer the PUT of <{graph}> ({size:,} bytes) within "
                           f"{client.timeout.read:g} s") from None
    except httpx.HTTPError as err:
        raise PublishError(f"{store} could not be reached for PUT of <{graph}>: {err}") from None
    if response.status_code >= 400:
        hint = ""
        if response.status_code == 401:
            hint = (" (the store refused the login for this request)" if client.auth is not None
                    else " (the store wants a login: --user, with the password in KG_PUBLISH_PASSWORD)")
        raise PublishError(f"{store} answered {response.status_code} to PUT of <{graph}>{hint}: {response.text[:500].strip()}")
    return response.status_code


def publish(build: BuildInfo, store: str, timeout: float = 600.0, *, user: str | None = None,
            password: str | None = None) -> list[Published]:
    """PUT every named graph of the build to the Graph Store Protocol endpoint ``store``, logging in as
    ``user`` with ``password`` when given."""
    problem = http_url_problem(store, "a Graph Store Protocol endpoint")
    if problem:
        raise PublishError(f"{store!r} {problem}")
    done = []
    with tempfile.TemporaryDirectory(prefix="kg-publish-") as tmp, \
            httpx.Client(auth=login(store, user, password, timeout), timeout=timeout) as client:
        for graph, (path, triples) in split_graphs(build.path("dataset.nq"), Path(tmp)).items():
            done.append(Published(graph, triples, put_graph(client, store, graph, path)))
    return done
