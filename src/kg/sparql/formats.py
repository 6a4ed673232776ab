"""Content negotiation: the one table from media type to format, used by every route.

Three kinds of representation exist: ``results`` (SELECT and ASK answers), ``rdf`` (graphs: CONSTRUCT,
DESCRIBE, resource descriptions, the ontology, VoID, the service description) and ``html`` (pages).
``negotiate`` picks one format for a request from an explicit format name (a ``format`` parameter or a
file suffix), else from the Accept header with q-values, else the kind's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class Format:
    """One representation: its name, exact media type, kind, file suffix and aliases."""

    name: str
    media_type: str
    kind: str  # "results" | "rdf" | "html"
    suffix: str
    aliases: tuple[str, ...] = ()
    # the media type sent in Content-Type (charset added for text formats)
    content_type: str = ""
    # other media types a client may ask with for this format (answered with media_type)
    accepts: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return self.content_type or self.media_type

    @property
    def rdf_format(self) -> RdfFormat:
        return _RDF[self.name]

    @property
    def results_format(self) -> QueryResultsFormat:
        return _RESULTS[self.name]


# Order matters: within a kind, the first format is the default and wins ties.
FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "results", "srj", ("json",), "", ("application/json",)),
    Format("xml", "application/sparql-results+xml", "results", "srx", ("xml",), "", ("application/xml", "text/xml")),
    Format("csv", "text/csv", "results", "csv", ("csv",), "text/csv; charset=utf-8"),
    Format("tsv", "text/tab-separated-values", "results", "tsv", ("tsv",), "text/tab-separated-values; charset=utf-8"),
    Format("turtle", "text/turtle", "rdf", "ttl", ("ttl", "turtle", "n3"), "text/turtle; charset=utf-8",
           ("application/x-turtle", "text/n3")),
    Format("ntriples", "application/n-triples", "rdf", "nt", ("nt", "ntriples", "n-triples"), "", ("text/plain",)),
    Format("jsonld", "application/ld+json", "rdf", "jsonld", ("jsonld", "json-ld"), "", ("application/json",)),
    Format("rdfxml", "application/rdf+xml", "rdf", "rdf", ("rdf", "rdfxml", "rdf+xml", "xml"), "",
           ("application/xml", "text/xml")),
    Format("trig", "application/trig", "rdf", "trig", ("trig",), ""),
    Format("nquads", "application/n-quads", "rdf", "nq", ("nq", "nquads", "n-quads"), ""),
    Format("html", "text/html", "html", "html", ("html",), "text/html; charset=utf-8", ("application/xhtml+xml",)),
    # a validation report as plain JSON (kg.validation.run.Report.json), next to the SHACL report graph in RDF
    Format("report-json", "application/json", "report", "json", ("report-json", "json"), ""),
)

BY_NAME = {f.name: f for f in FORMATS}
_RDF = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
    "trig": RdfFormat.TRIG,
    "nquads": RdfFormat.N_QUADS,
}
_RESULTS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
# W3C format IRIs (http://www.w3.org/ns/formats/) for the service description
FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
    "trig": "http://www.w3.org/ns/formats/TriG",
    "nquads": "http://www.w3.org/ns/formats/N-Quads",
}

# what each kind of answer offers, in preference order (the first is the default for */*)
SOLUTIONS = ("results", "html")  # SELECT and ASK
GRAPH = ("rdf", "html")  # CONSTRUCT, DESCRIBE, resource descriptions, ontology, VoID, service description
REPORT = ("rdf", "report", "html")  # a validation report: the SHACL report graph, plain JSON, or a page


class NotAcceptable(Exception):
    """No offered format fits the Accept header or the explicit format name (HTTP 406)."""

    def __init__(self, message: str, offered: list[Format]):
        super().__init__(message)
        self.offered = offered


def offered(kinds: tuple[str, ...]) -> list[Format]:
    """Formats of these kinds, in preference order (kind order first)."""
    return [f for k in kinds for f in FORMATS if f.kind == k]


def by_suffix(suffix: str, kinds: tuple[str, ...]) -> Format | None:
    for f in offered(kinds):
        if f.suffix == suffix:
            return f
    return None


def parse_accept(header: str) -> list[tuple[str, float, int]]:
    """Media ranges of an Accept header as (range, q, specificity); malformed parts are skipped."""
    ranges = []
    for part in header.split(","):
        fields = [x.strip() for x in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        if not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
        specificity = 0 if media == "*/*" else 1 if sub == "*" else 2
        ranges.append((media, q, specificity))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[str, float, int]]) -> tuple[float, int] | None:
    """(q, rank) of the most specific range matching fmt, None when no range matches. The format's own
    media type counts as more specific than the other types it also answers (so `application/xml;q=0.9`
    from a browser does not outrank its `text/html`, and `application/json` names plain JSON before the
    JSON-LD that also answers it)."""
    best: tuple[int, float] | None = None
    main = fmt.media_type.split("/")[0]
    for media, q, spec in ranges:
        if media == fmt.media_type:
            rank = 3
        elif media in fmt.accepts:
            rank = 2
        elif media == f"{main}/*" or media == "*/*":
            rank = spec
        else:
            continue
        if best is None or rank > best[0]:
            best = (rank, q)
    return None if best is None else (best[1], best[0])


@lru_cache(maxsize=256)  # a pure function of its arguments, and clients send few distinct Accept headers
def negotiate(accept: str | None, kinds: tuple[str, ...], explicit: str | None = None) -> Format:
    """The format to answer with.

    ``explicit`` (a format parameter value, alias or file suffix) wins over Accept. With no Accept or
    only ``*/*``, the first format of the first kind is the default. Raises NotAcceptable.
    """
    choices = offered(kinds)
    if explicit:
        name = explicit.strip().lower()
        for f in choices:
            if name == f.name or name in f.aliases or name == f.media_type:
                return f
        raise NotAcceptable(f"format {explicit!r} is not offered here", choices)
    if accept is None or not accept.strip():
        return choices[0]
    ranges = parse_accept(accept)
    if not ranges:
        return choices[0]
    best: Format | None = None
    best_q = (0.0, 0)
    for f in choices:
        q = _quality(f, ranges)
        if q is not None and q[0] > 0 and q > best_q:  # equal q: the more specific match wins, then order
            best, best_q = f, q
    if best is None:
        raise NotAcceptable(f"none of the offered media types fits Accept: {accept[:200]}", choices)
    return best
