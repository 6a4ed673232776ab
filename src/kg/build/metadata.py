"""The dataset's description: VoID and DCAT in the metadata graph, the text resource, the project agent.

What can be stated without knowing the dump bytes goes into the metadata graph; byte sizes and checksums
of the dumps go only into ``void.ttl`` (a dump cannot contain its own checksum).
"""

from __future__ import annotations

from collections import Counter

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

from ..iris import SCHEMA, Iris
from .source import SourceText

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
RIGHTS = (
    "kg's modelling (the graph's structure, identifiers, labels it supplies, annotations and derived figures) "
    "is published under CC BY 4.0. The English translation of the report and its archive record belong to the "
    "Wilson Center Digital Archive (https://digitalarchive.wilsoncenter.org/document/114177); kg claims no "
    "license for their text, quoted here as evidence."
)
ATTRIBUTION = (
    "Source: \"Chinese Foreign Ministry, 'Summary Report on Organizing Ethnic Koreans and Mobilizing Korean "
    "Immigrants to go to Korea to Take Part in Construction'\", December 10, 1959, Wilson Center Digital Archive, "
    "PRC FMA 118-00777-01, 43-48. Translated by Jeffrey Wang and Charles Kraus. "
    "https://digitalarchive.wilsoncenter.org/document/114177"
)

# dump file name -> (media type, title)
DUMPS = {
    "dataset.nq": ("application/n-quads", "All quads, canonical sorted N-Quads"),
    "dataset.trig": ("application/trig", "All named graphs, TriG"),
    "dataset.ttl": ("text/turtle", "Union of the graphs, Turtle"),
    "dataset.jsonld": ("application/ld+json", "All named graphs, JSON-LD with an inline context"),
    "context.jsonld": ("application/ld+json", "The JSON-LD context"),
    "ontology.ttl": ("text/turtle", "The kg ontology"),
    "shapes.ttl": ("text/turtle", "The SHACL shapes"),
    "void.ttl": ("text/turtle", "This description, with checksums"),
}


def project_agent(iris: Iris) -> URIRef:
    return iris.id("organization", "kg-project")


def add_project_and_text(g: Graph, iris: Iris, source: SourceText, text: URIRef) -> None:
    """The kg project as an agent, and the stored source text as a resource (editorial graph)."""
    kgp = project_agent(iris)
    g.add((kgp, RDF.type, PROV.Agent))
    g.add((kgp, RDF.type, FOAF.Organization))
    g.add((kgp, SKOS.prefLabel, Literal("kg project", lang="en")))
    g.add((kgp, SKOS.note, Literal("The publisher of this graph; author of its modelling and annotations.", lang="en")))
    record = iris.id("document", "wcda-record-114177")
    g.add((text, RDF.type, PROV.Entity))
    g.add((text, RDF.type, SCHEMA.DigitalDocument))
    g.add((text, SKOS.prefLabel, Literal("Text of WCDA record 114177 as stored by kg (the annotation target)", lang="en")))
    g.add((text, RDF.value, Literal(source.text)))
    g.add((text, DCTERMS.format, Literal("text/plain")))
    g.add((text, DCTERMS.language, Literal("en")))
    g.add((text, DCTERMS.identifier, Literal("sha256:" + source.sha256)))
    g.add((text, SCHEMA.encodingFormat, Literal("text/plain; charset=utf-8")))
    g.add((text, PROV.wasQuotedFrom, record))
    g.add((text, DCTERMS.source, URIRef("https://digitalarchive.wilsoncenter.org/document/114177")))
    g.add((text, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    g.add((text, SKOS.note, Literal(
        f"Annotation offsets count Unicode code points in this text; the translated report begins at character "
        f"{source.report_start}, the archive's record page is everything before it.", lang="en")))


def describe(iris: Iris, version: str, content: dict[str, Graph]) -> Graph:
    """The metadata graph: the dataset, its named graphs as subsets, partitions, dumps, endpoint."""
    g = Graph()
    d = iris.dataset
    base = iris.base
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, RDF.type, SCHEMA.Dataset))
    title = "The 1959 PRC Foreign Ministry report on relocating ethnic Koreans to North Korea, as a knowledge graph"
    g.add((d, DCTERMS.title, Literal(title, lang="en")))
    g.add((d, SKOS.prefLabel, Literal(title, lang="en")))
    g.add((d, DCTERMS.description, Literal(
        "Every statement of the Chinese Foreign Ministry's report of 10 December 1959 (Wilson Center Digital Archive "
        "document 114177) as RDF: actors, places, dated events, the figures as an RDF Data Cube, the three proposals "
        "and the regulations they cite. Each fact points to the passage it comes from; the ministry's figures are its "
        "claims, not verified counts; the translators' bracketed insertions and their [sic] are annotations of their own.",
        lang="en")))
    g.add((d, DCTERMS.license, LICENSE))
    g.add((d, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    g.add((d, DCTERMS.bibliographicCitation, Literal(ATTRIBUTION, lang="en")))
    g.add((d, DCTERMS.creator, project_agent(iris)))
    g.add((d, DCTERMS.publisher, project_agent(iris)))
    g.add((d, DCTERMS.source, iris.id("document", "wcda-record-114177")))
    g.add((d, PROV.wasDerivedFrom, iris.id("text", "report-114177")))
    g.add((d, DCTERMS.language, Literal("en")))
    g.add((d, DCTERMS.conformsTo, iris.shapes))
    g.add((d, OWL.versionInfo, Literal(version)))
    g.add((d, URIRef(str(DCAT) + "version"), Literal(version)))
    g.add((d, OWL.versionIRI, URIRef(f"{d}/version/{version}")))
    g.add((d, VOID.uriSpace, Literal(base + "id/")))
    g.add((d, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    g.add((d, VOID.vocabulary, URIRef(str(iris.ontology))))
    g.add((d, VOID.feature, URIRef("http://www.w3.org/ns/formats/N-Quads")))
    g.add((d, DCAT.landingPage, URIRef(base)))
    all_triples = set()
    for name, cg in sorted(content.items()):
        gi = iris.graph(name)
        g.add((d, VOID.subset, gi))
        g.add((gi, RDF.type, VOID.Dataset))
        g.add((gi, SKOS.prefLabel, Literal(f"{name} graph", lang="en")))
        g.add((gi, VOID.triples, Literal(len(cg), datatype=XSD.integer)))
        all_triples.update(cg)
    g.add((iris.graph("assertions"), DCTERMS.description, Literal(
        "What the source asserts: the ministry's report and, for the document's metadata, the archive's record page. "
        "Claims, not verified facts; each node carries kg:assertedBy and prov:wasDerivedFrom its passage.", lang="en")))
    g.add((iris.graph("editorial"), DCTERMS.description, Literal(
        "kg's editorial layer: entity descriptions, labels, authority links, concept schemes, the data structure, "
        "evidence passages and annotations, the translators' insertions, derived figures.", lang="en")))
    g.add((iris.graph("metadata"), DCTERMS.description, Literal("This description of the dataset.", lang="en")))
    union = Graph()
    for t in all_triples:
        union.add(t)
    g.add((d, VOID.triples, Literal(len(union), datatype=XSD.integer)))
    g.add((d, VOID.distinctSubjects, Literal(len(set(union.subjects())), datatype=XSD.integer)))
    g.add((d, VOID.distinctObjects, Literal(len(set(union.objects())), datatype=XSD.integer)))
    g.add((d, VOID.entities, Literal(len({s for s in union.subjects() if str(s).startswith(base + "id/")}), datatype=XSD.integer)))
    classes = Counter(o for o in union.objects(None, RDF.type))
    g.add((d, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    for cls, n in sorted(classes.items()):
        part = URIRef(f"{d}/class/{_local(cls)}")
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    props = Counter(p for p in union.predicates())
    g.add((d, VOID.properties, Literal(len(props), datatype=XSD.integer)))
    for prop, n in sorted(props.items()):
        part = URIRef(f"{d}/property/{_local(prop)}")
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))
    for name, (media, label) in sorted(DUMPS.items()):
        dist = URIRef(f"{d}/distribution/{name.replace('.', '-')}")
        url = URIRef(base + "dumps/" + name)
        if name.startswith("dataset."):
            g.add((d, VOID.dataDump, url))
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(label, lang="en")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + media)))
        g.add((dist, DCTERMS.license, LICENSE))
    g.add((d, RDFS.seeAlso, URIRef(base + ".well-known/void")))
    return g


def _local(term: URIRef) -> str:
    """A readable, unique slug for a class or property IRI in partition IRIs."""
    s = str(term)
    for sep in ("#", "/"):
        s = s.replace(sep, "-")
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in s.split("//", 1)[-1])
    return keep.strip("-")


def checksums(g: Graph, iris: Iris, files: dict[str, tuple[int, str]]) -> None:
    """Add byte size and SHA-256 of each dump to the description in ``g`` (for void.ttl only)."""
    spdx = "http://spdx.org/rdf/terms#"
    d = iris.dataset
    for name, (size, digest) in sorted(files.items()):
        dist = URIRef(f"{d}/distribution/{name.replace('.', '-')}")
        chk = URIRef(f"{dist}/checksum")
        g.add((dist, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, URIRef(spdx + "checksum"), chk))
        g.add((chk, RDF.type, URIRef(spdx + "Checksum")))
        g.add((chk, URIRef(spdx + "algorithm"), URIRef(spdx + "checksumAlgorithm_sha256")))
        g.add((chk, URIRef(spdx + "checksumValue"), Literal(digest, datatype=XSD.hexBinary)))
