"""Every shape in ontology/shapes/, tested the way the W3C SHACL test suite does it: a conforming case and
a violating case, compared by focus node, result path and constraint component (never by message text).

The conforming fixture of a case is the real assembled graph, validated against that one shape for that one
focus node; the violating fixture is the same graph with the case's triples removed or added. A few cases
need data the report does not have (a leap year, a blank node); they are small Turtle files under
tests/fixtures/shapes/<shape file>/. ``test_every_shape_has_cases`` fails when a shape is added without them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

from kg.build.pipeline import Built, assemble
from kg.iris import CRM, EDTF, ELI, OA, ORG, QB, SCHEMA
from kg.validation.run import Report, rebase_shapes, validate_graph


@dataclass(frozen=True)
class Hit:
    """One validation result, as the tests compare it: never by message text."""

    focus: str
    path: str | None
    component: str
    constraint: str | None  # the sh:sourceConstraint of a SHACL-SPARQL result


def hits(report: Report) -> set[Hit]:
    g = report.report_graph
    out = set()
    for r in g.subjects(RDF.type, SH.ValidationResult):
        path = g.value(r, SH.resultPath)
        constraint = g.value(r, SH.sourceConstraint)
        out.add(Hit(
            str(g.value(r, SH.focusNode)),
            None if path is None else ("complex" if isinstance(path, BNode) else str(path)),
            str(g.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            None if constraint is None or isinstance(constraint, BNode) else str(constraint).rsplit("#", 1)[-1],
        ))
    return out


@dataclass
class Subject:
    """The real assembled graph, its ontology and shapes: the base every shape fixture mutates."""

    built: Built
    graph: Graph
    shapes: Graph
    narrow: object

    def validate(self, shape: str, focus: Iterable[URIRef] | None, data: Graph | None = None) -> Report:
        """Validate against ``shape`` alone, targeted at ``focus`` (None: its own targets)."""
        return validate_graph(data if data is not None else self.graph, self.narrow(self.shapes, {shape: focus}),
                              self.built.ontology)

    @contextmanager
    def mutated(self, remove: Iterable = (), add: Iterable = ()) -> Iterator[Graph]:
        """The graph with some triples removed and some added, restored afterwards."""
        removed = []
        for pattern in remove:
            found = list(self.graph.triples(pattern))
            assert found, f"nothing to remove for {pattern}: the fixture no longer matches the data"
            removed += found
        for t in removed:
            self.graph.remove(t)
        added = [t for t in add if t not in self.graph]
        for t in added:
            self.graph.add(t)
        try:
            yield self.graph
        finally:
            for t in added:
                self.graph.remove(t)
            for t in removed:
                self.graph.add(t)


@pytest.fixture(scope="module")
def subject(settings, narrow) -> Subject:
    built = assemble(settings)
    return Subject(built, built.union(), rebase_shapes(built.shapes, built.iris), narrow)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shapes"

ID = Namespace("https://kg.example.org/id/")
KG = Namespace("https://kg.example.org/ontology/kg#")
SDMX = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
OBS, PL, AG, EV, TS, CPT, SCHEME = (Namespace(ID + k + "/") for k in
                                    ("observation", "place", "organization", "event", "time-span", "concept", "scheme"))
PROP, LAW, DOC, STMT, PER = (Namespace(ID + k + "/") for k in ("proposal", "instrument", "document", "statement", "person"))
TEXT = ID["text/report-114177"]
DATASET = ID["dataset/kg-1959"]


def passage_of(subject, node: URIRef) -> URIRef:
    """The (first) passage a node is derived from."""
    return sorted(p for p in subject.graph.objects(node, PROV.wasDerivedFrom) if "/id/passage/" in p)[0]


@dataclass
class Case:
    """One violating fixture: the real graph with ``remove`` patterns dropped and ``add`` triples added.

    ``shape`` is the shape the case covers; ``run`` the shape validated (a helper shape without targets is
    exercised through the shape that uses it). Focus nodes and added triples may be callables of the
    subject, for nodes the build mints (passages, selectors).
    """

    id: str
    shape: str
    focus: object
    expected: set
    remove: list = field(default_factory=list)
    add: list = field(default_factory=list)
    run: str | None = None
    conforming_focus: object = None  # where the focus itself is new (added by the case), a real node to compare


def H(focus, path, component, constraint=None) -> tuple:
    """An expected result: focus node, result path (None if none), component, SPARQL constraint."""
    return (focus, None if path is None else str(path), component, constraint)


def resolve(subject, x):
    return x(subject) if callable(x) else x


J, TOTAL = OBS["sent-1959-jilin-persons"], OBS["sent-1959-total-persons"]
DERIVED = OBS["sent-1959-chinese-ethnic-koreans-persons"]
LABORERS, VILLAGES = OBS["sent-1959-laborers-per-household"], OBS["sent-1959-share-villages"]
JILIN_HH = OBS["sent-1959-jilin-households"]
MINISTRY, ARCHIVE = AG["ministry-of-foreign-affairs"], AG["wilson-center-digital-archive"]


def passage(node: URIRef):
    """The first passage ``node`` is derived from (its IRI depends on the text's offsets)."""
    return lambda s: sorted(p for p in s.graph.objects(node, PROV.wasDerivedFrom) if "/id/passage/" in p)[0]


def quote_selector(node):
    return lambda s: URIRef(passage(node)(s) + "/quote")


def position_selector(node):
    return lambda s: URIRef(passage(node)(s) + "/position")


def moved(node, prop, by):
    """The position selector of ``node``'s passage with oa:start or oa:end moved by ``by`` characters."""
    def triples(s):
        position = position_selector(node)(s)
        return [(position, prop, Literal(int(s.graph.value(position, prop)) + by, datatype=XSD.nonNegativeInteger))]
    return triples


def replaced(node, prop, value):
    return dict(remove=[(node, prop, None)], add=[(node, prop, value)])


CASES = [
    # --- observation.ttl -------------------------------------------------------------------
    Case("observation-missing-dataset", "ObservationShape", J, {H(J, QB.dataSet, "MinCountConstraintComponent")},
         remove=[(J, QB.dataSet, None)]),
    Case("observation-figure-as-string", "ObservationShape", J, {H(J, KG.persons, "DatatypeConstraintComponent")},
         remove=[(J, KG.persons, None)], add=[(J, KG.persons, Literal("36274"))]),
    Case("observation-figure-not-canonical", "ObservationShape", J, {H(J, KG.persons, "PatternConstraintComponent")},
         remove=[(J, KG.persons, None)], add=[(J, KG.persons, Literal("036274", datatype=XSD.integer, normalize=False))]),
    Case("observation-unknown-measure-type", "ObservationShape", J, {H(J, QB.measureType, "InConstraintComponent")},
         remove=[(J, QB.measureType, None)], add=[(J, QB.measureType, KG.laborers)]),
    Case("observation-population-outside-scheme", "ObservationShape", J,
         {H(J, KG.population, "NodeConstraintComponent")},
         remove=[(J, KG.population, None)], add=[(J, KG.population, CPT["korean-national"])]),
    Case("observation-marker-outside-scheme", "ObservationShape", J,
         {H(J, KG.epistemicMarker, "NodeConstraintComponent")}, add=[(J, KG.epistemicMarker, CPT["han"])]),
    Case("observation-scope-note-language", "ObservationShape", J, {H(J, KG.scopeNote, "LanguageInConstraintComponent")},
         remove=[(J, KG.scopeNote, None)], add=[(J, KG.scopeNote, Literal("Anmerkung", lang="de"))]),
    Case("observation-iri-pattern", "ObservationShape", ID["obs/x"],
         {H(ID["obs/x"], None, "PatternConstraintComponent")},
         add=[lambda s: [(ID["obs/x"], p, o) for p, o in s.graph.predicate_objects(J)]], conforming_focus=J),
    Case("observation-measure-dropped", "ObservationShape", J,
         {H(J, KG.persons, "SPARQLConstraintComponent", "ObservationHasItsMeasure")}, remove=[(J, KG.persons, None)]),
    Case("observation-second-measure", "ObservationShape", J,
         {H(J, KG.households, "SPARQLConstraintComponent", "ObservationHasOnlyItsMeasure")},
         add=[(J, KG.households, Literal(7127))]),
    Case("observation-without-evidence", "ObservationShape", J,
         {H(J, None, "SPARQLConstraintComponent", "ObservationHasEvidence"),
          H(J, KG.persons, "SPARQLConstraintComponent", "FigureInQuote")},
         remove=[(J, PROV.wasDerivedFrom, None)]),
    Case("observation-part-changed-total", "ObservationShape", TOTAL,
         {H(TOTAL, KG.persons, "SPARQLConstraintComponent", "PartsSumToTotal")},
         remove=[(J, KG.persons, None)], add=[(J, KG.persons, Literal(36275))]),
    Case("observation-part-changed-itself", "ObservationShape", J,
         {H(J, KG.persons, "SPARQLConstraintComponent", "FigureInQuote")},
         remove=[(J, KG.persons, None)], add=[(J, KG.persons, Literal(36247))]),
    Case("observation-stated-as-not-quoted", "ObservationShape", JILIN_HH,
         {H(JILIN_HH, KG.statedAs, "SPARQLConstraintComponent", "StatedAsInQuote"),
          H(JILIN_HH, KG.statedAs, "SPARQLConstraintComponent", "StatedAsDigitsAgree")},
         remove=[(JILIN_HH, KG.statedAs, None)], add=[(JILIN_HH, KG.statedAs, Literal("7,172 families", lang="en"))]),
    Case("observation-stated-words-disagree", "ObservationShape", LABORERS,
         {H(LABORERS, KG.statedAs, "SPARQLConstraintComponent", "StatedAsWordsAgree")},
         remove=[(LABORERS, KG.laborersPerHousehold, None)], add=[(LABORERS, KG.laborersPerHousehold, Literal(3))]),
    Case("observation-share-words-disagree", "ObservationShape", VILLAGES,
         {H(VILLAGES, KG.statedAs, "SPARQLConstraintComponent", "StatedAsWordsAgree")},
         remove=[(VILLAGES, KG.shareOfPersons, None)],
         add=[(VILLAGES, KG.shareOfPersons, Literal("2/3", datatype=OWL.rational))]),
    Case("observation-share-wording-dropped", "ObservationShape", VILLAGES,
         {H(VILLAGES, KG.shareOfPersons, "SPARQLConstraintComponent", "FigureInQuote")},
         remove=[(VILLAGES, KG.statedAs, None)]),
    Case("observation-share-not-a-fraction", "ObservationShape", VILLAGES,
         {H(VILLAGES, KG.shareOfPersons, "PatternConstraintComponent")},
         remove=[(VILLAGES, KG.shareOfPersons, None)],
         add=[(VILLAGES, KG.shareOfPersons, Literal("0.33", datatype=OWL.rational))]),
    Case("observation-derived-value-wrong", "ObservationShape", DERIVED,
         {H(DERIVED, KG.persons, "SPARQLConstraintComponent", "DerivedComplementAgrees")},
         remove=[(DERIVED, KG.persons, None)], add=[(DERIVED, KG.persons, Literal(50931))]),
    Case("observation-derived-without-parts", "ObservationShape", DERIVED,
         {H(DERIVED, None, "SPARQLConstraintComponent", "DerivedObservationHasRule")},
         remove=[(DERIVED, PROV.wasDerivedFrom, OBS["sent-1959-korean-nationals-persons"])]),
    Case("observation-derived-asserted", "ObservationShape", DERIVED,
         {H(DERIVED, KG.assertedBy, "SPARQLConstraintComponent", "DerivedObservationNotAsserted")},
         add=[(DERIVED, KG.assertedBy, MINISTRY)]),
    Case("population-concept", "PopulationConceptShape", J, {H(J, KG.population, "NodeConstraintComponent")},
         remove=[(CPT["population-sent-1959"], SKOS.inScheme, None)], run="ObservationShape"),
    Case("epistemic-marker-concept", "EpistemicMarkerConceptShape", J,
         {H(J, KG.epistemicMarker, "NodeConstraintComponent")},
         remove=[(CPT["marker-sic"], SKOS.inScheme, None)], run="ObservationShape"),
    # --- passage.ttl -----------------------------------------------------------------------
    Case("passage-start-moved", "PassageShape", passage(J),
         {H(passage(J), OA.exact, "SPARQLConstraintComponent", "PassageQuoteAtOffsets"),
          H(passage(J), OA.prefix, "SPARQLConstraintComponent", "PassagePrefixBeforeStart"),
          H(passage(J), None, "SPARQLConstraintComponent", "PassageIriMatchesOffsets")},
         remove=[(position_selector(J), OA.start, None)], add=[moved(J, OA.start, 1)]),
    Case("passage-end-moved", "PassageShape", passage(J),
         {H(passage(J), OA.exact, "SPARQLConstraintComponent", "PassageQuoteAtOffsets"),
          H(passage(J), OA.suffix, "SPARQLConstraintComponent", "PassageSuffixAfterEnd")},
         remove=[(position_selector(J), OA.end, None)], add=[moved(J, OA.end, -1)]),
    Case("passage-suffix-altered", "PassageShape", passage(J),
         {H(passage(J), OA.suffix, "SPARQLConstraintComponent", "PassageSuffixAfterEnd")},
         remove=[(quote_selector(J), OA.suffix, None)], add=[lambda s: [(quote_selector(J)(s), OA.suffix, Literal(" people"))]]),
    Case("passage-korean-name-dropped", "PassageShape", passage(J),
         {H(passage(J), SKOS.prefLabel, "MinCountConstraintComponent")},
         remove=[(passage(J), SKOS.prefLabel,
                  lambda s: next(o for o in s.graph.objects(passage(J)(s), SKOS.prefLabel) if o.language == "ko"))]),
    Case("passage-name-in-another-language", "PassageShape", passage(J),
         {H(passage(J), SKOS.prefLabel, "MaxCountConstraintComponent"),
          H(passage(J), SKOS.prefLabel, "LanguageInConstraintComponent")},
         add=[(passage(J), SKOS.prefLabel, Literal("Textstelle", lang="de"))]),
    Case("passage-without-source", "PassageShape", passage(J), {H(passage(J), OA.hasSource, "MinCountConstraintComponent")},
         remove=[(passage(J), OA.hasSource, None)]),
    Case("passage-without-position", "PassageShape", passage(J),
         {H(passage(J), OA.hasSelector, "MinCountConstraintComponent"),
          H(passage(J), OA.hasSelector, "QualifiedMinCountConstraintComponent")},
         remove=[(passage(J), OA.hasSelector, position_selector(J))]),
    Case("quote-selector-long-prefix", "TextQuoteSelectorShape", quote_selector(J),
         {H(quote_selector(J), OA.prefix, "MaxLengthConstraintComponent")},
         add=[lambda s: [(quote_selector(J)(s), OA.prefix, Literal("x" * 33))]]),
    Case("quote-selector-without-exact", "TextQuoteSelectorShape", quote_selector(J),
         {H(quote_selector(J), OA.exact, "MinCountConstraintComponent")}, remove=[(quote_selector(J), OA.exact, None)]),
    Case("position-selector-decimal-start", "TextPositionSelectorShape", position_selector(J),
         {H(position_selector(J), OA.start, "OrConstraintComponent")},
         remove=[(position_selector(J), OA.start, None)],
         add=[lambda s: [(position_selector(J)(s), OA.start, Literal(f"{int(passage(J)(s).rsplit('/', 1)[1].split('-')[0])}.0", datatype=XSD.decimal))]]),
    Case("position-selector-negative-integer-start", "TextPositionSelectorShape", position_selector(J),
         {H(position_selector(J), OA.start, "MinInclusiveConstraintComponent")},
         remove=[(position_selector(J), OA.start, None)],
         add=[lambda s: [(position_selector(J)(s), OA.start, Literal(-1))]]),
    Case("position-selector-start-after-end", "TextPositionSelectorShape", position_selector(J),
         {H(position_selector(J), OA.start, "LessThanConstraintComponent")},
         remove=[(position_selector(J), OA.end, None)],
         add=[lambda s: [(position_selector(J)(s), OA.end, Literal(1, datatype=XSD.nonNegativeInteger))]]),
    # --- claim.ttl ----------------------------------------------------------------------
    Case("claim-without-evidence", "ClaimShape", STMT["work-concluded-smoothly"],
         {H(STMT["work-concluded-smoothly"], None, "SPARQLConstraintComponent", "ClaimHasEvidence"),
          H(STMT["work-concluded-smoothly"], KG.assertedBy, "SPARQLConstraintComponent", "ClaimAgentMatchesPassage")},
         remove=[(STMT["work-concluded-smoothly"], PROV.wasDerivedFrom, None)]),
    Case("claim-wrong-agent", "ClaimShape", STMT["work-concluded-smoothly"],
         {H(STMT["work-concluded-smoothly"], KG.assertedBy, "SPARQLConstraintComponent", "ClaimAgentMatchesPassage")},
         **replaced(STMT["work-concluded-smoothly"], KG.assertedBy, ARCHIVE)),
    Case("claim-unknown-agent", "ClaimShape", STMT["work-concluded-smoothly"],
         {H(STMT["work-concluded-smoothly"], KG.assertedBy, "InConstraintComponent")},
         **replaced(STMT["work-concluded-smoothly"], KG.assertedBy, AG["state-council"])),
    Case("claim-stance-dropped", "ClaimShape", DOC["report-zh"],
         {H(DOC["report-zh"], KG.assertedBy, "SPARQLConstraintComponent", "ClaimPassageHasItsAgent")},
         remove=[(DOC["report-zh"], KG.assertedBy, MINISTRY)]),
    Case("claim-sic-marker-dropped", "ClaimShape", J,
         {H(J, KG.epistemicMarker, "SPARQLConstraintComponent", "ClaimMarkersTheQuoteSignals")},
         remove=[(J, KG.epistemicMarker, CPT["marker-sic"])]),
    Case("claim-hedge-marker-dropped", "ClaimShape", VILLAGES,
         {H(VILLAGES, KG.epistemicMarker, "SPARQLConstraintComponent", "ClaimMarkersTheQuoteSignals")},
         remove=[(VILLAGES, KG.epistemicMarker, CPT["marker-hedge"])]),
    # --- resource.ttl ---------------------------------------------------------------------
    # (typed blank nodes: file case below)
    Case("observation-type-dropped", "TypedResourceShape", J, {H(J, RDF.type, "MinCountConstraintComponent")},
         remove=[(J, RDF.type, QB.Observation)]),
    Case("event-type-dropped", "TypedResourceShape", EV["relocation-1959"],
         {H(EV["relocation-1959"], RDF.type, "MinCountConstraintComponent")},
         remove=[(EV["relocation-1959"], RDF.type, CRM.E7_Activity)]),
    # --- time-span.ttl --------------------------------------------------------------------
    Case("time-span-begin-wrong", "TimeSpanShape", TS["1958-12"],
         {H(TS["1958-12"], CRM.P82a_begin_of_the_begin, "SPARQLConstraintComponent", "TimeSpanBeginAgrees")},
         **replaced(TS["1958-12"], CRM.P82a_begin_of_the_begin, Literal("1958-12-02T00:00:00", datatype=XSD.dateTime))),
    Case("time-span-end-wrong", "TimeSpanShape", TS["1959-02-to-1959-04"],
         {H(TS["1959-02-to-1959-04"], CRM.P82b_end_of_the_end, "SPARQLConstraintComponent", "TimeSpanEndAgrees")},
         **replaced(TS["1959-02-to-1959-04"], CRM.P82b_end_of_the_end, Literal("1959-04-29T23:59:59", datatype=XSD.dateTime))),
    Case("time-span-end-before-begin", "TimeSpanShape", TS["1958"],
         {H(TS["1958"], CRM.P82a_begin_of_the_begin, "LessThanOrEqualsConstraintComponent")},
         **replaced(TS["1958"], CRM.P82b_end_of_the_end, Literal("1957-12-31T23:59:59", datatype=XSD.dateTime))),
    Case("time-span-bad-edtf", "TimeSpanShape", TS["1958"], {H(TS["1958"], DCTERMS.date, "PatternConstraintComponent")},
         **replaced(TS["1958"], DCTERMS.date, Literal("1958-13", datatype=EDTF))),
    Case("time-span-bound-as-date", "TimeSpanShape", TS["1958"],
         {H(TS["1958"], CRM.P82a_begin_of_the_begin, "DatatypeConstraintComponent")},
         **replaced(TS["1958"], CRM.P82a_begin_of_the_begin, Literal("1958-01-01", datatype=XSD.date))),
    Case("time-span-without-chinese", "TimeSpanShape", TS["1958"],
         {H(TS["1958"], SKOS.prefLabel, "QualifiedMinCountConstraintComponent")},
         **replaced(TS["1958"], SKOS.prefLabel, Literal("1958", lang="en"))),
    # --- annotation.ttl --------------------------------------------------------------------
    Case("annotation-unknown-motivation", "AnnotationShape", ID["annotation/observation/sent-1959-jilin-persons"],
         {H(ID["annotation/observation/sent-1959-jilin-persons"], OA.motivatedBy, "InConstraintComponent"),
          H(ID["annotation/observation/sent-1959-jilin-persons"], None, "XoneConstraintComponent")},
         **replaced(ID["annotation/observation/sent-1959-jilin-persons"], OA.motivatedBy, OA.commenting)),
    Case("annotation-without-target", "AnnotationShape", ID["annotation/observation/sent-1959-jilin-persons"],
         {H(ID["annotation/observation/sent-1959-jilin-persons"], OA.hasTarget, "MinCountConstraintComponent")},
         remove=[(ID["annotation/observation/sent-1959-jilin-persons"], OA.hasTarget, None)]),
    Case("evidence-annotation-body-not-derived", "EvidenceAnnotationShape", ID["annotation/observation/sent-1959-jilin-persons"],
         {H(ID["annotation/observation/sent-1959-jilin-persons"], None, "XoneConstraintComponent")},
         remove=[(J, PROV.wasDerivedFrom, None)], run="AnnotationShape"),
    Case("evidence-annotation-body-not-derived-direct", "EvidenceAnnotationShape",
         ID["annotation/observation/sent-1959-jilin-persons"],
         {H(ID["annotation/observation/sent-1959-jilin-persons"], OA.hasBody, "SPARQLConstraintComponent",
            "EvidenceBodyDerivedFromTarget")},
         remove=[(J, PROV.wasDerivedFrom, None)]),
    Case("editing-annotation-without-kind", "EditingAnnotationShape", ID["annotation/sic"],
         {H(ID["annotation/sic"], None, "XoneConstraintComponent")},
         remove=[(ID["annotation/sic"], OA.hasBody, CPT["marker-sic"])], run="AnnotationShape"),
    Case("insertion-kind-outside-scheme", "InsertionKindShape", ID["annotation/interpolation/1"],
         {H(ID["annotation/interpolation/1"], None, "XoneConstraintComponent")},
         remove=[(ID["annotation/interpolation/1"], OA.hasBody, CPT["interpolation-clarifying-name"])],
         add=[(ID["annotation/interpolation/1"], OA.hasBody, CPT["event-visit"])], run="AnnotationShape"),
    Case("textual-body-not-the-bracket", "TextualBodyShape", ID["annotation/interpolation/1/body"],
         {H(ID["annotation/interpolation/1/body"], RDF.value, "SPARQLConstraintComponent", "TextualBodyIsTheBracket")},
         **replaced(ID["annotation/interpolation/1/body"], RDF.value, Literal("South"))),
    Case("textual-body-language", "TextualBodyShape", ID["annotation/interpolation/1/body"],
         {H(ID["annotation/interpolation/1/body"], DCTERMS.language, "InConstraintComponent")},
         **replaced(ID["annotation/interpolation/1/body"], DCTERMS.language, Literal("zh"))),
    # --- text.ttl ---------------------------------------------------------------------------
    Case("source-text-edited", "SourceTextShape", TEXT,
         {H(TEXT, DCTERMS.identifier, "SPARQLConstraintComponent", "SourceTextChecksum")},
         remove=[(TEXT, RDF.value, None)],
         add=[lambda s: [(TEXT, RDF.value, Literal(str(s.built.graphs["editorial"].value(TEXT, RDF.value)) + " "))]]),
    Case("source-text-checksum-malformed", "SourceTextShape", TEXT,
         {H(TEXT, DCTERMS.identifier, "PatternConstraintComponent")}, **replaced(TEXT, DCTERMS.identifier, Literal("md5:0"))),
    # --- activity.ttl --------------------------------------------------------------------------
    Case("event-without-chinese-label", "ActivityShape", EV["relocation-1959"],
         {H(EV["relocation-1959"], SKOS.prefLabel, "QualifiedMinCountConstraintComponent"),
          H(EV["relocation-1959"], SKOS.prefLabel, "MinCountConstraintComponent")},
         remove=[(EV["relocation-1959"], SKOS.prefLabel, Literal("东北朝鲜族人和朝侨迁往朝鲜（1959年2月至4月）", lang="zh-Hans"))]),
    Case("event-two-time-spans", "ActivityShape", EV["relocation-1959"],
         {H(EV["relocation-1959"], CRM["P4_has_time-span"], "MaxCountConstraintComponent")},
         add=[(EV["relocation-1959"], CRM["P4_has_time-span"], TS["1958"])]),
    Case("event-type-outside-scheme", "EventTypeConceptShape", EV["relocation-1959"],
         {H(EV["relocation-1959"], CRM.P2_has_type, "NodeConstraintComponent")},
         **replaced(EV["relocation-1959"], CRM.P2_has_type, CPT["place-province"]), run="ActivityShape"),
    Case("event-carried-out-by-a-place", "AgentReferenceShape", EV["relocation-1959"],
         {H(EV["relocation-1959"], CRM.P14_carried_out_by, "NodeConstraintComponent")},
         add=[(EV["relocation-1959"], CRM.P14_carried_out_by, PL["jilin"])], run="ActivityShape"),
    Case("event-group-outside-scheme", "NationalityStatusConceptShape", EV["relocation-1959"],
         {H(EV["relocation-1959"], KG.concernsGroup, "NodeConstraintComponent")},
         add=[(EV["relocation-1959"], KG.concernsGroup, CPT["worker"])], run="ActivityShape"),
    Case("dated-event-without-time-span", "ActivityShape", EV["dprk-delegation-visit-1958"],
         {H(EV["dprk-delegation-visit-1958"], CRM["P4_has_time-span"], "SPARQLConstraintComponent", "DatedQuoteHasTimeSpan")},
         remove=[(EV["dprk-delegation-visit-1958"], CRM["P4_has_time-span"], None)]),
    Case("narrative-chain-broken", "ActivityShape", EV["request-for-approval-1959-12-10"],
         {H(EV["request-for-approval-1959-12-10"], None, "SPARQLConstraintComponent", "RequestReachesTheStart")},
         remove=[(EV["incomplete-refunds-1959"], KG.causedBy, None)]),
    Case("caused-by-a-place", "ActivityShape", EV["incomplete-refunds-1959"],
         {H(EV["incomplete-refunds-1959"], KG.causedBy, "ClassConstraintComponent")},
         add=[(EV["incomplete-refunds-1959"], KG.causedBy, PL["jilin"])]),
    Case("translation-without-source", "TranslationActivityShape", EV["translation"],
         {H(EV["translation"], PROV.used, "MinCountConstraintComponent")}, remove=[(EV["translation"], PROV.used, None)]),
    # --- organization.ttl -----------------------------------------------------------------
    Case("organization-without-chinese-label", "OrganizationShape", AG["state-council"],
         {H(AG["state-council"], SKOS.prefLabel, "QualifiedMinCountConstraintComponent")},
         remove=[(AG["state-council"], SKOS.prefLabel, Literal("中华人民共和国国务院", lang="zh-Hans"))]),
    Case("organization-homepage-literal", "OrganizationShape", AG["macarthur-foundation"],
         {H(AG["macarthur-foundation"], FOAF.homepage, "NodeKindConstraintComponent")},
         **replaced(AG["macarthur-foundation"], FOAF.homepage, Literal("https://www.macfound.org/"))),
    Case("organizational-unit-of-nothing", "OrganizationalUnitShape", AG["embassy-of-china-in-the-dprk"],
         {H(AG["embassy-of-china-in-the-dprk"], ORG.unitOf, "MinCountConstraintComponent")},
         remove=[(AG["embassy-of-china-in-the-dprk"], ORG.unitOf, None)]),
    Case("project-not-an-agent", "ProjectAgentShape", AG["kg-project"],
         {H(AG["kg-project"], None, "ClassConstraintComponent")}, remove=[(AG["kg-project"], RDF.type, PROV.Agent)]),
    # --- person.ttl ------------------------------------------------------------------------------
    Case("person-without-note", "PersonShape", PER["ji-pengfei"], {H(PER["ji-pengfei"], SKOS.note, "MinCountConstraintComponent")},
         remove=[(PER["ji-pengfei"], SKOS.note, None)]),
    Case("person-note-without-korean", "PersonShape", PER["ji-pengfei"],
         {H(PER["ji-pengfei"], SKOS.note, "MinCountConstraintComponent")},
         remove=[(PER["ji-pengfei"], SKOS.note,
                  lambda s: next(o for o in s.graph.objects(PER["ji-pengfei"], SKOS.note) if o.language == "ko"))]),
    Case("person-label-language", "PersonShape", PER["ji-pengfei"],
         {H(PER["ji-pengfei"], SKOS.prefLabel, "LanguageInConstraintComponent")},
         add=[(PER["ji-pengfei"], SKOS.prefLabel, Literal("Dschi Pengfei", lang="de"))]),
    # --- place.ttl -------------------------------------------------------------------------------
    Case("place-without-korean-label", "PlaceShape", PL["south-hwanghae"],
         {H(PL["south-hwanghae"], SKOS.prefLabel, "MinCountConstraintComponent"),
          H(PL["south-hwanghae"], SKOS.prefLabel, "QualifiedMinCountConstraintComponent")},
         remove=[(PL["south-hwanghae"], SKOS.prefLabel, Literal("황해남도", lang="ko"))]),
    Case("event-without-korean-label", "ActivityShape", EV["relocation-1959"],
         {H(EV["relocation-1959"], SKOS.prefLabel, "MinCountConstraintComponent"),
          H(EV["relocation-1959"], SKOS.prefLabel, "QualifiedMinCountConstraintComponent")},
         remove=[(EV["relocation-1959"], SKOS.prefLabel, Literal("중국 동북의 조선족과 조선 교민의 조선 이전 (1959년 2월~4월)", lang="ko"))]),
    Case("place-note-without-chinese", "PlaceShape", PL["south-pyongan"],
         {H(PL["south-pyongan"], SKOS.note, "SPARQLConstraintComponent", "ProseInThreeLanguages")},
         remove=[(PL["south-pyongan"], SKOS.note,
                  lambda s: next(o for o in s.graph.objects(PL["south-pyongan"], SKOS.note) if o.language == "zh-Hans"))]),
    Case("place-two-types", "PlaceShape", PL["jilin"], {H(PL["jilin"], DCTERMS.type, "MaxCountConstraintComponent")},
         add=[(PL["jilin"], DCTERMS.type, CPT["place-region"])]),
    Case("place-two-english-labels", "PlaceShape", PL["jilin"], {H(PL["jilin"], SKOS.prefLabel, "UniqueLangConstraintComponent")},
         add=[(PL["jilin"], SKOS.prefLabel, Literal("Kirin", lang="en"))]),
    # --- concept.ttl ----------------------------------------------------------------------------
    Case("concept-top-of-other-scheme", "ConceptShape", CPT["worker"],
         {H(CPT["worker"], SKOS.topConceptOf, "SPARQLConstraintComponent", "TopConceptInItsScheme")},
         **replaced(CPT["worker"], SKOS.topConceptOf, SCHEME["affiliation"])),
    Case("concept-neither-top-nor-narrower", "ConceptShape", CPT["worker"], {H(CPT["worker"], None, "OrConstraintComponent")},
         remove=[(CPT["worker"], SKOS.topConceptOf, None)]),
    Case("concept-without-scheme", "ConceptShape", CPT["worker"], {H(CPT["worker"], SKOS.inScheme, "MinCountConstraintComponent")},
         remove=[(CPT["worker"], SKOS.inScheme, None)]),
    Case("concept-definition-without-korean", "ConceptShape", CPT["marker-sic"],
         {H(CPT["marker-sic"], SKOS.definition, "SPARQLConstraintComponent", "ProseInThreeLanguages")},
         remove=[(CPT["marker-sic"], SKOS.definition, Literal("번역자들이 앞의 말을 원문 그대로 옮겼음을 표시한다.", lang="ko"))]),
    Case("concept-two-english-definitions", "ConceptShape", CPT["marker-sic"],
         {H(CPT["marker-sic"], SKOS.definition, "UniqueLangConstraintComponent")},
         add=[(CPT["marker-sic"], SKOS.definition, Literal("As found.", lang="en"))]),
    Case("scheme-fourth-label", "ConceptSchemeShape", SCHEME["motive"],
         {H(SCHEME["motive"], SKOS.prefLabel, "MaxCountConstraintComponent"),
          H(SCHEME["motive"], SKOS.prefLabel, "LanguageInConstraintComponent")},
         add=[(SCHEME["motive"], SKOS.prefLabel, Literal("motifs", lang="fr"))]),
    # --- proposal.ttl -----------------------------------------------------------------------------
    Case("proposal-part-one-way", "ProposalShape", PROP["proposal-2-stocks"],
         {H(PROP["proposal-2-stocks"], DCTERMS.isPartOf, "SPARQLConstraintComponent", "ProposalPartsBothWays")},
         remove=[(PROP["proposal-2"], DCTERMS.hasPart, PROP["proposal-2-stocks"])]),
    Case("proposal-position-repeated", "ProposalShape", PROP["proposal-3-2"],
         {H(PROP["proposal-3-2"], SCHEMA.position, "SPARQLConstraintComponent", "ProposalPositionUnique")},
         **replaced(PROP["proposal-3-2"], SCHEMA.position, Literal(1))),
    Case("proposal-position-string", "ProposalShape", PROP["proposal-3-2"],
         {H(PROP["proposal-3-2"], SCHEMA.position, "DatatypeConstraintComponent")},
         **replaced(PROP["proposal-3-2"], SCHEMA.position, Literal("2"))),
    Case("proposals-missing-one", "ProposalsContainerShape", PROP["proposals"],
         {H(PROP["proposals"], DCTERMS.hasPart, "MinCountConstraintComponent")},
         remove=[(PROP["proposals"], DCTERMS.hasPart, PROP["proposal-3"])]),
    Case("proposals-without-approver", "ProposalsContainerShape", PROP["proposals"],
         {H(PROP["proposals"], KG.toBeApprovedBy, "MinCountConstraintComponent")},
         remove=[(PROP["proposals"], KG.toBeApprovedBy, None)]),
    Case("proposals-implemented-by-a-province", "ProposalsContainerShape", PROP["proposals"],
         {H(PROP["proposals"], KG.toBeImplementedBy, "ClassConstraintComponent")},
         remove=[(PROP["proposals"], KG.toBeImplementedBy, AG["peoples-committee-of-jilin"])],
         add=[(PROP["proposals"], KG.toBeImplementedBy, PL["jilin"])]),
    # --- assessment.ttl ---------------------------------------------------------------------------
    Case("assessment-without-subject", "ReportedAssessmentShape", STMT["work-concluded-smoothly"],
         {H(STMT["work-concluded-smoothly"], DCTERMS.subject, "MinCountConstraintComponent")},
         remove=[(STMT["work-concluded-smoothly"], DCTERMS.subject, None)]),
    # --- legal-resource.ttl ------------------------------------------------------------------------
    Case("instrument-date-off-by-a-day", "LegalResourceShape", LAW["supplementary-provisions-1959"],
         {H(LAW["supplementary-provisions-1959"], ELI.date_document, "SPARQLConstraintComponent",
            "LegalResourceDateMatchesEnactment")},
         **replaced(LAW["supplementary-provisions-1959"], ELI.date_document, Literal("1959-08-15", datatype=XSD.date))),
    Case("instrument-without-issuer", "LegalResourceShape", LAW["exit-entry-provisions-1958"],
         {H(LAW["exit-entry-provisions-1958"], ELI.passed_by, "MinCountConstraintComponent")},
         remove=[(LAW["exit-entry-provisions-1958"], ELI.passed_by, None)]),
    Case("article-number-in-words", "LegalResourceSubdivisionShape", LAW["supplementary-provisions-1959-article-3"],
         {H(LAW["supplementary-provisions-1959-article-3"], ELI.number, "PatternConstraintComponent")},
         **replaced(LAW["supplementary-provisions-1959-article-3"], ELI.number, Literal("Three"))),
    # --- document.ttl ------------------------------------------------------------------------------
    Case("report-without-title", "ReportShape", DOC["report-en"], {H(DOC["report-en"], DCTERMS.title, "MinCountConstraintComponent")},
         remove=[(DOC["report-en"], DCTERMS.title, None)]),
    Case("original-addressed-to-its-sender", "OriginalDocumentShape", DOC["report-zh"],
         {H(DOC["report-zh"], SCHEMA.recipient, "DisjointConstraintComponent"),
          H(DOC["report-zh"], SCHEMA.recipient, "ClassConstraintComponent")},
         **replaced(DOC["report-zh"], SCHEMA.recipient, MINISTRY)),
    Case("original-date-differs-from-signing", "OriginalDocumentShape", DOC["report-zh"],
         {H(DOC["report-zh"], DCTERMS.date, "SPARQLConstraintComponent", "DocumentDateMatchesCreation")},
         **replaced(DOC["report-zh"], DCTERMS.date, Literal("1959-12-01", datatype=XSD.date))),
    Case("translation-without-translators", "TranslationShape", DOC["report-en"],
         {H(DOC["report-en"], SCHEMA.translator, "MinCountConstraintComponent")},
         remove=[(DOC["report-en"], SCHEMA.translator, None)]),
    Case("record-url-of-another-document", "WebRecordShape", DOC["wcda-record-114177"],
         {H(DOC["wcda-record-114177"], SCHEMA.url, "SPARQLConstraintComponent", "WebRecordIdentifierInUrl")},
         **replaced(DOC["wcda-record-114177"], SCHEMA.url, URIRef("https://digitalarchive.wilsoncenter.org/document/114178"))),
    # --- dataset.ttl --------------------------------------------------------------------------------
    Case("dataset-without-license", "DatasetDescriptionShape", DATASET,
         {H(DATASET, DCTERMS.license, "MinCountConstraintComponent")}, remove=[(DATASET, DCTERMS.license, None)]),
    Case("named-graph-without-count", "NamedGraphDescriptionShape", URIRef("https://kg.example.org/graph/assertions"),
         {H("https://kg.example.org/graph/assertions", VOID.triples, "MinCountConstraintComponent")},
         remove=[(URIRef("https://kg.example.org/graph/assertions"), VOID.triples, None)]),
    Case("distribution-media-type", "DistributionShape", URIRef(DATASET + "/distribution/dataset-nq"),
         {H(DATASET + "/distribution/dataset-nq", DCAT.mediaType, "PatternConstraintComponent")},
         **replaced(URIRef(DATASET + "/distribution/dataset-nq"), DCAT.mediaType, Literal("application/n-quads"))),
    Case("class-partition-count-zero", "ClassPartitionShape", URIRef(DATASET + "/class/http---purl.org-linked-data-cube-Observation"),
         {H(DATASET + "/class/http---purl.org-linked-data-cube-Observation", VOID.entities, "MinInclusiveConstraintComponent")},
         **replaced(URIRef(DATASET + "/class/http---purl.org-linked-data-cube-Observation"), VOID.entities, Literal(0))),
    Case("property-partition-without-property", "PropertyPartitionShape",
         URIRef(DATASET + "/property/https---kg.example.org-ontology-kg-persons"),
         {H(DATASET + "/property/https---kg.example.org-ontology-kg-persons", VOID.property, "MinCountConstraintComponent")},
         remove=[(URIRef(DATASET + "/property/https---kg.example.org-ontology-kg-persons"), VOID.property, None)]),
    Case("figures-without-structure", "FiguresDataSetShape", ID["dataset/figures"],
         {H(ID["dataset/figures"], QB.structure, "MinCountConstraintComponent")},
         remove=[(ID["dataset/figures"], QB.structure, None)]),
    # --- dataset-structure.ttl ----------------------------------------------------------------------
    Case("structure-missing-a-measure", "DataStructureDefinitionShape", ID["structure/figures"],
         {H(ID["structure/figures"], QB.component, "MinCountConstraintComponent")},
         remove=[(ID["structure/figures"], QB.component, ID["structure/figures-share"])]),
    Case("component-dimension-and-measure", "ComponentSpecificationShape", ID["structure/figures-area"],
         {H(ID["structure/figures-area"], None, "XoneConstraintComponent")},
         add=[(ID["structure/figures-area"], QB.measure, SDMX.refArea)]),
]

# Cases that need data the report does not have: (shape, fixture file, focus, expected results or empty = conforms)
FILE_CASES = [
    ("TimeSpanShape", "time-span/leap-year-conforms.ttl", TS["1960-02"], set()),
    ("TimeSpanShape", "time-span/leap-year-end-too-early.ttl", TS["1960-02"],
     {H(TS["1960-02"], CRM.P82b_end_of_the_end, "SPARQLConstraintComponent", "TimeSpanEndAgrees")}),
    ("NoBlankNodeShape", "resource/typed-iri-conforms.ttl", ID["concept/example"], set()),
    ("NoBlankNodeShape", "resource/typed-blank-node.ttl", None, {H(None, None, "NodeKindConstraintComponent")}),
]


def as_tuples(report, subject) -> set:
    return {(h.focus, h.path, h.component, h.constraint) for h in hits(report)}


def expected_tuples(case_expected, subject) -> set:
    return {(str(resolve(subject, f)), p, c, k) for f, p, c, k in case_expected}


@pytest.fixture(scope="module")
def conforming_report(subject):
    """The real graph validated once against every case's shape, each targeting every case's focus node."""
    targets: dict[str, list] = {}
    for case in CASES:
        targets.setdefault(case.run or case.shape, []).append(resolve(subject, case.conforming_focus or case.focus))
    return validate_graph(subject.graph, subject.narrow(subject.shapes, targets), subject.built.ontology)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real_graph_conforms_for_the_case_focus(subject, conforming_report, case):
    focus = str(resolve(subject, case.conforming_focus or case.focus))
    assert [r for r in conforming_report.results if r.focus == focus] == []
    assert conforming_report.conforms, conforming_report.text()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_violating_fixture_fails_with_the_expected_results(subject, case):
    focus = resolve(subject, case.focus)
    remove = [tuple(resolve(subject, x) for x in pattern) for pattern in case.remove]
    add = []
    for item in case.add:
        add += resolve(subject, item) if callable(item) else [tuple(resolve(subject, x) for x in item)]
    with subject.mutated(remove, add):
        report = subject.validate(case.run or case.shape, [focus])
    assert not report.conforms
    got = as_tuples(report, subject)
    missing = expected_tuples(case.expected, subject) - got
    assert not missing, f"missing {missing}; got {got}"


@pytest.mark.parametrize("shape,name,focus,expected", FILE_CASES, ids=[f[1] for f in FILE_CASES])
def test_file_fixture(subject, shape, name, focus, expected):
    data = Graph().parse(FIXTURES / name, format="turtle")
    if focus is None:  # a blank node: let the shape find it through its target
        report = validate_shape(subject, shape, data)
        got = {(None, h.path, h.component, h.constraint) for h in hits(report)}
    else:
        report = subject.validate(shape, [focus], data)
        got = as_tuples(report, subject)
    if not expected:
        assert report.conforms, report.text()
    else:
        assert not report.conforms
        missing = expected_tuples(expected, subject) - got if focus is not None else expected - got
        assert not missing, f"missing {missing}; got {got}"


def validate_shape(subject, shape, data):
    return subject.validate(shape, None, data)


def test_every_shape_has_cases(subject):
    """Each named node shape of ontology/shapes/ is exercised by a violating and a conforming case."""
    shapes = {str(s).rsplit("#", 1)[-1] for s in subject.shapes.subjects(RDF.type, SH.NodeShape)
              if isinstance(s, URIRef)}
    covered = {c.shape for c in CASES} | {f[0] for f in FILE_CASES}
    assert shapes - covered == set(), "shapes without test cases"
    assert covered - shapes == set(), "test cases for shapes that do not exist"


def test_every_sparql_constraint_has_a_case(subject):
    constraints = {str(s).rsplit("#", 1)[-1] for s in subject.shapes.subjects(RDF.type, SH.SPARQLConstraint)}
    covered = {k for c in CASES for (_, _, _, k) in c.expected if k} | {
        k for f in FILE_CASES for (_, _, _, k) in f[3] if k}
    assert constraints - covered == set(), "SHACL-SPARQL constraints no case makes fire"


def test_every_shape_has_a_label_and_comment(subject):
    for s in set(subject.shapes.subjects(RDF.type, SH.NodeShape)) | set(subject.shapes.subjects(RDF.type, SH.SPARQLConstraint)):
        if isinstance(s, URIRef):
            assert subject.shapes.value(s, RDFS.label) is not None, s
            assert subject.shapes.value(s, RDFS.comment) is not None, s
