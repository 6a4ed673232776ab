"""The visual query builder's configuration (Sparnatural's SHACL profile), derived from kg's own shapes.

Sparnatural reads a SHACL file in which each node shape with a ``sh:targetClass`` is a kind of thing one can
search for and each of its property shapes a way to go on from it. kg's shapes say far more than that
(qualified counts, SPARQL constraints, several shapes on one property) and reach their ranges through
``sh:node`` shapes that have no class, so the builder gets a configuration of its own, made from them:

- one node shape per class that a kg shape targets, among ``OFFERED`` (the kinds of thing the report is
  about, not the annotations and selectors that carry the evidence), and that has instances;
- one property shape per simple ``sh:path`` of that class's kg shapes, whose range is what the graph holds:
  a literal of the shape's ``sh:datatype`` (date, text, number widgets), or the offered classes that its
  values have (one ``sh:class``, or a ``sh:or`` of them: a list widget of their names);
- labels in the three languages of the pages (kg's own terms from the ontology, other vocabularies' terms
  from the pages' display labels), tagged as the store returns language tags, which is what Sparnatural
  compares with its ``lang`` attribute; ``skos:prefLabel`` has the label role, so results carry names.

The configuration is a pure function of the shapes, the labels and the graph's usage (``Usage`` rows), and
is serialised in a fixed order, so the same build gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS, XSD

DASH = Namespace("http://datashapes.org/dash#")
CORE = Namespace("http://data.sparna.fr/ontologies/sparnatural-config-core#")
LANGUAGES = ("en", "zh-hans", "ko")  # as the store gives language tags back, and so as Sparnatural's lang

# The kinds of thing a scholar starts from or goes on to, in the order the builder lists them.
OFFERED = (
    "http://www.cidoc-crm.org/cidoc-crm/E7_Activity",
    "http://www.w3.org/ns/org#FormalOrganization",
    "http://www.w3.org/ns/org#OrganizationalUnit",
    "http://www.w3.org/ns/org#OrganizationalCollaboration",
    "http://www.w3.org/ns/org#Organization",
    "http://xmlns.com/foaf/0.1/Person",
    "http://www.cidoc-crm.org/cidoc-crm/E53_Place",
    "https://kg.example.org/ontology/kg#Proposal",
    "http://data.europa.eu/eli/ontology#LegalResource",
    "http://data.europa.eu/eli/ontology#LegalResourceSubdivision",
    "http://www.cidoc-crm.org/cidoc-crm/E52_Time-Span",
    "http://purl.org/linked-data/cube#Observation",
    "https://kg.example.org/ontology/kg#ReportedAssessment",
    "http://www.w3.org/2004/02/skos/core#Concept",
)
DATE_TYPES = {str(XSD.date), str(XSD.dateTime), str(XSD.gYear)}


@dataclass(frozen=True)
class Usage:
    """How the graph uses a predicate on instances of a class: the values' class (an IRI) or, for a literal,
    its datatype."""

    cls: str
    predicate: str
    range: str
    literal: bool


# What the graph holds, for ``Usage`` rows (run against the data by the caller: the web layer's engine).
USAGE_QUERY = """
SELECT DISTINCT ?cls ?predicate ?range ?literal WHERE {
  ?s a ?cls ; ?predicate ?o .
  OPTIONAL { ?o a ?type }
  BIND (COALESCE(?type, IF(isLITERAL(?o), DATATYPE(?o), ?unbound)) AS ?range)
  BIND (isLITERAL(?o) AS ?literal)
  FILTER (BOUND(?range))
}
"""

# From the shapes graph: the simple paths of the shapes that target each class, with a declared datatype.
PATHS_QUERY = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT DISTINCT ?cls ?path ?datatype WHERE {
  ?shape sh:targetClass ?cls ; sh:property ?property .
  ?property sh:path ?path .
  FILTER (isIRI(?path))
  OPTIONAL { ?property sh:datatype ?datatype }
}
"""


def local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def configuration(
    paths: Iterable[tuple[str, str, str | None]],
    usage: Iterable[Usage],
    labels: Mapping[str, Mapping[str, str]],
    base: str,
) -> Graph:
    """The Sparnatural configuration. ``paths``: (class, path, declared datatype or None) from the shapes
    (``PATHS_QUERY``); ``usage``: what the graph holds (``USAGE_QUERY``); ``labels``: {term IRI: {language:
    label}} with languages as in ``LANGUAGES``; ``base``: the namespace of the configuration's own shapes."""
    ns = Namespace(base)
    used: dict[tuple[str, str], dict[str, Usage]] = defaultdict(dict)
    instances: set[str] = set()
    for row in usage:
        used[(row.cls, row.predicate)][row.range] = row
        instances.add(row.cls)
    declared: dict[str, dict[str, str | None]] = defaultdict(dict)
    for cls, path, datatype in paths:
        if datatype or path not in declared[cls]:
            declared[cls][path] = datatype
    offered = [c for c in OFFERED if c in declared and c in instances]

    g = Graph()
    for prefix, namespace in (("sh", SH), ("rdfs", RDFS), ("dash", DASH), ("core", CORE),
                              ("skos", SKOS), ("xsd", XSD), ("builder", ns)):
        g.bind(prefix, namespace)
    for order, cls in enumerate(offered, start=1):
        shape = ns[local_name(cls)]
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, SH.targetClass, URIRef(cls)))
        g.add((shape, SH.order, Literal(order)))
        _label(g, shape, RDFS.label, labels.get(cls), local_name(cls))
        for path in sorted(declared[cls]):
            found = used.get((cls, path), {})
            ranges = sorted(r for r, u in found.items() if not u.literal and r in offered)
            literals = sorted(r for r, u in found.items() if u.literal)
            if not ranges and not literals:
                continue  # nothing the builder can offer: no values, or values of a kind it does not list
            prop = ns[f"{local_name(cls)}-{local_name(path)}"]
            g.add((shape, SH.property, prop))
            g.add((prop, SH.path, URIRef(path)))
            _label(g, prop, SH.name, labels.get(path), local_name(path))
            if ranges:
                _ranges(g, prop, ranges)
                continue
            datatype = declared[cls][path] or literals[0]
            g.add((prop, SH.datatype, URIRef(datatype)))
            if datatype in DATE_TYPES:
                g.add((prop, DASH.searchWidget, CORE["TimeProperty-Date"]))
            elif datatype in (str(XSD.integer), str(XSD.decimal), str(XSD.double)):
                g.add((prop, DASH.searchWidget, CORE.NumberProperty))
            else:
                g.add((prop, DASH.searchWidget, CORE.SearchProperty))
            if path == str(SKOS.prefLabel):
                g.add((prop, DASH.propertyRole, DASH.LabelRole))
    return g


def _ranges(g: Graph, prop: URIRef, ranges: list[str]) -> None:
    """``sh:class`` for one range; a ``sh:or`` of ``sh:class`` members for several (SHACL's meaning of two
    ``sh:class`` values on one shape would be "both"). Values are picked from a list of their names."""
    g.add((prop, DASH.searchWidget, CORE.ListProperty))
    if len(ranges) == 1:
        g.add((prop, SH["class"], URIRef(ranges[0])))
        return
    members = []
    for i, cls in enumerate(ranges):
        member = URIRef(f"{prop}-range-{i + 1}")
        g.add((member, SH["class"], URIRef(cls)))
        g.add((member, DASH.searchWidget, CORE.ListProperty))  # Sparnatural reads the widget on the member
        members.append(member)
    head = BNode(f"{local_name(str(prop))}-or")
    Collection(g, head, members)
    g.add((prop, SH["or"], head))


def _label(g: Graph, subject: URIRef, predicate: URIRef, found: Mapping[str, str] | None, fallback: str) -> None:
    found = found or {}
    for lang in LANGUAGES:
        text = found.get(lang) or found.get("en") or fallback
        g.add((subject, predicate, Literal(text, lang=lang)))


def turtle(g: Graph) -> bytes:
    """The configuration as Turtle in a fixed order (rdflib sorts subjects and predicates)."""
    return g.serialize(format="turtle").encode("utf-8")
