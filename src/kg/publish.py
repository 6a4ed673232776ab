"""Load a build into any SPARQL 1.1 store through the Graph Store Protocol (``kg publish --to URL``).

Graph by graph: the named graphs of ``dataset.nq`` are split into one N-Triples file each (streamed, in
sorted graph order), then each is sent with ``PUT <URL>?graph=<IRI>``, which the protocol defines as
replacing that graph, so each graph changes from the previous version to this one in one step where the
store makes a PUT atomic (see its manual). The whole dataset is not replaced in one transaction: between
two PUTs a reader can see some graphs new and some old. Graphs the store holds that this build no longer
has are left alone.

A store that wants a login (Virtuoso's ``/sparql-graph-crud-auth``, GraphDB or Fuseki with security on)
gets ``user`` and ``password`` by HTTP Basic or Digest authentication, whichever it asks for. Each graph
is then sent from memory rather than streamed from its file, so that it can be sent again in answer to the
store's challenge.
"""

from __future__ import annotations

import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, parse, serialize

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


def opener(store: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    """A URL opener that answers ``store``'s Basic or Digest challenge with ``user`` and ``password``."""
    if user is None:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, store, user, password or "")
    return urllib.request.build_opener(
        urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)
    )


def put_graph(store: str, graph: str, path: Path, timeout: float,
              client: urllib.request.OpenerDirector | None = None, *, resend: bool = False) -> int:
    """PUT one graph's N-Triples file; ``resend``: read it into memory, for a store that challenges first."""
    url = store + ("&" if "?" in store else "?") + urllib.parse.urlencode({"graph": graph})
    client = client or urllib.request.build_opener()
    with open(path, "rb") as f:
        request = urllib.request.Request(
            url, data=f.read() if resend else f, method="PUT",
            headers={"Content-Type": "application/n-triples", "Content-Length": str(path.stat().st_size)},
        )
        try:
            with client.open(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as err:
            said = err.read()[:500].decode(errors="replace").strip()
            hint = " (the user or password is wrong)" if err.code == 401 and resend else (
                " (the store wants a login: --user, with the password in KG_PUBLISH_PASSWORD)" if err.code == 401 else "")
            raise PublishError(f"{store} answered {err.code} to PUT of <{graph}>{hint}: {said}") from None
        except OSError as err:
            raise PublishError(f"{store} could not be reached for PUT of <{graph}>: {err}") from None


def publish(build: BuildInfo, store: str, timeout: float = 600.0, *, user: str | None = None,
            password: str | None = None) -> list[Published]:
    """PUT every named graph of the build to the Graph Store Protocol endpoint ``store``, logging in as
    ``user`` with ``password`` when given."""
    client = opener(store, user, password)
    done = []
    with tempfile.TemporaryDirectory(prefix="kg-publish-") as tmp:
        for graph, (path, triples) in split_graphs(build.path("dataset.nq"), Path(tmp)).items():
            status = put_graph(store, graph, path, timeout, client, resend=user is not None)
            done.append(Published(graph, triples, status))
    return done
