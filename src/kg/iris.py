"""Namespaces and IRI minting: the one place that knows the base IRI.

Authored files in data/ and ontology/ are written against DEFAULT_BASE_IRI; ``rebase`` maps them onto
the configured base so that the base stays one setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

from .config import DEFAULT_BASE_IRI

OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
QB = Namespace("http://purl.org/linked-data/cube#")
CRM = Namespace("http://www.cidoc-crm.org/cidoc-crm/")
SCHEMA = Namespace("https://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
CITO = Namespace("http://purl.org/spar/cito/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
RICO = Namespace("https://www.ica.org/standards/RiC/ontology#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SDMX_DIM = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WD = Namespace("http://www.wikidata.org/entity/")
EDTF = URIRef("http://id.loc.gov/datatypes/edtf")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Iris:
    """IRIs of one deployment, all under ``base``."""

    base: str = DEFAULT_BASE_IRI

    @property
    def kg(self) -> Namespace:
        """Our own ontology terms (hash namespace of the ontology document)."""
        return Namespace(self.base + "ontology/kg#")

    @property
    def ontology(self) -> URIRef:
        return URIRef(self.base + "ontology/kg")

    @property
    def shapes(self) -> URIRef:
        return URIRef(self.base + "shapes")

    @property
    def sh(self) -> Namespace:
        return Namespace(self.base + "shapes#")

    @property
    def ed(self) -> Namespace:
        """Authoring shorthand used only in data/ (never published; the build expands it)."""
        return Namespace(self.base + "authoring#")

    @property
    def dataset(self) -> URIRef:
        return URIRef(self.base + "id/dataset/kg-1959")

    def graph(self, name: str) -> URIRef:
        return URIRef(self.base + "graph/" + name)

    def graph_iris(self) -> list[str]:
        """The IRIs of the build's named graphs (``GRAPHS``), in that order: the dataset every query is
        answered over."""
        return [str(self.graph(g)) for g in GRAPHS]

    def id(self, kind: str, slug: str) -> URIRef:
        if not SLUG.match(kind) or not SLUG.match(slug.replace("/", "-")):
            raise ValueError(f"not a slug: {kind}/{slug}")
        return URIRef(f"{self.base}id/{kind}/{slug}")

    def owns(self, term: object) -> bool:
        return isinstance(term, URIRef) and str(term).startswith(self.base)

    def rebase(self, term):
        """Map a term written against DEFAULT_BASE_IRI onto this base (others unchanged)."""
        if self.base != DEFAULT_BASE_IRI and isinstance(term, URIRef) and str(term).startswith(DEFAULT_BASE_IRI):
            return URIRef(self.base + str(term)[len(DEFAULT_BASE_IRI):])
        return term


GRAPHS = ("assertions", "editorial", "metadata")

PREFIXES = {
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "void": VOID,
    "prov": PROV,
    "sh": SH,
    "oa": OA,
    "org": ORG,
    "qb": QB,
    "crm": CRM,
    "schema": SCHEMA,
    "bibo": BIBO,
    "cito": CITO,
    "eli": ELI,
    "rico": RICO,
    "foaf": FOAF,
    "sdmx-dimension": SDMX_DIM,
    "wd": WD,
    "spdx": Namespace("http://spdx.org/rdf/terms#"),
}


def prefixes(iris: Iris) -> dict[str, str]:
    """The one fixed prefix map used for every serialization and query header."""
    out = {k: str(v) for k, v in PREFIXES.items()}
    out["kg"] = str(iris.kg)
    out["kgsh"] = str(iris.sh)
    out["id"] = iris.base + "id/"
    return out
