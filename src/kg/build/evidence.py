"""Evidence anchoring: every ``ed:quote`` becomes a W3C Web Annotation on the source text.

A node with ``ed:quote "exact"`` (or ``ed:quote [ ed:exact …; ed:prefix …; ed:suffix … ]``) gets, for each
quote, a passage ``id/passage/{start}-{end}`` (an ``oa:SpecificResource`` with a TextQuoteSelector and a
TextPositionSelector), an annotation ``id/annotation/{kind}/{slug}[/{n}]`` linking the node to it, and
``prov:wasDerivedFrom`` the passage. Nodes in the assertions graph also get ``kg:assertedBy`` the agent
whose part of the text the quote stands in. The translators' bracketed insertions become annotations of
their own. A quote that is not found verbatim, or found more than once, stops the build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from ..iris import OA, Iris
from .source import QuoteError, SourceText, Span

CONTEXT_CHARS = 32
TEXT_SLUG = "report-114177"


@dataclass
class EvidenceReport:
    errors: list[str] = field(default_factory=list)
    annotations: int = 0
    passages: int = 0
    interpolations: int = 0


def text_iri(iris: Iris) -> URIRef:
    return iris.id("text", TEXT_SLUG)


def passage_iri(iris: Iris, span: Span) -> URIRef:
    return iris.id("passage", f"{span.start}-{span.end}")


def _quote_parts(g: Graph, iris: Iris, q) -> tuple[str, str | None, str | None]:
    ed = iris.ed
    if isinstance(q, Literal):
        return str(q), None, None
    if isinstance(q, BNode):
        exact = g.value(q, ed.exact)
        if exact is None:
            raise QuoteError("an ed:quote node without ed:exact")
        prefix, suffix = g.value(q, ed.prefix), g.value(q, ed.suffix)
        return str(exact), (str(prefix) if prefix is not None else None), (str(suffix) if suffix is not None else None)
    raise QuoteError(f"ed:quote must be a literal or a blank node, not {q!r}")


# a passage's name, kg's own, in the three languages of the pages (the offsets count code points)
PASSAGE_LABELS = {
    "en": "Passage at characters {start}–{end} of the report text",
    "zh-Hans": "报告文本第 {start}–{end} 个字符处的段落",
    "ko": "보고서 본문 {start}–{end}번째 글자의 구절",
}


def add_passage(out: Graph, iris: Iris, source: SourceText, span: Span) -> URIRef:
    """The passage resource and its two selectors (idempotent)."""
    p = passage_iri(iris, span)
    quote, position = URIRef(p + "/quote"), URIRef(p + "/position")
    prefix, suffix = source.context(span, CONTEXT_CHARS)
    out.add((p, RDF.type, OA.SpecificResource))
    out.add((p, OA.hasSource, text_iri(iris)))
    out.add((p, OA.hasSelector, quote))
    out.add((p, OA.hasSelector, position))
    for lang, label in PASSAGE_LABELS.items():
        out.add((p, SKOS.prefLabel, Literal(label.format(start=span.start, end=span.end), lang=lang)))
    out.add((quote, RDF.type, OA.TextQuoteSelector))
    out.add((quote, OA.exact, Literal(source.text[span.start : span.end])))
    out.add((quote, OA.prefix, Literal(prefix)))
    out.add((quote, OA.suffix, Literal(suffix)))
    out.add((position, RDF.type, OA.TextPositionSelector))
    out.add((position, OA.start, Literal(span.start, datatype=XSD.nonNegativeInteger)))
    out.add((position, OA.end, Literal(span.end, datatype=XSD.nonNegativeInteger)))
    return p


def _kind_slug(iris: Iris, node: URIRef) -> tuple[str, str]:
    rest = str(node)[len(iris.base + "id/") :]
    kind, _, slug = rest.partition("/")
    return kind, slug


def expand_quotes(
    graphs: dict[str, Graph],
    editorial: Graph,
    iris: Iris,
    source: SourceText,
    agents: dict[str, URIRef],
    project: URIRef,
    report: EvidenceReport,
) -> None:
    """Replace ed:quote shorthand in every graph; passages and annotations go to ``editorial``."""
    ed = iris.ed
    for name, g in sorted(graphs.items()):
        motivation = OA.describing if name == "assertions" else OA.identifying
        for node in sorted(set(g.subjects(ed.quote, None))):
            if not (isinstance(node, URIRef) and iris.owns(node) and str(node).startswith(iris.base + "id/")):
                report.errors.append(f"{node}: ed:quote on a node that is not one of our id/ IRIs")
                continue
            spans: list[Span] = []
            for q in sorted(g.objects(node, ed.quote), key=str):
                try:
                    exact, prefix, suffix = _quote_parts(g, iris, q)
                    spans.append(source.find(exact, prefix, suffix))
                except QuoteError as err:
                    report.errors.append(f"{node}: {err}")
            kind, slug = _kind_slug(iris, node)
            for n, span in enumerate(sorted(set(spans), key=lambda s: (s.start, s.end)), 1):
                p = add_passage(editorial, iris, source, span)
                a = iris.id("annotation", f"{kind}/{slug}" + (f"/{n}" if n > 1 else ""))
                editorial.add((a, RDF.type, OA.Annotation))
                editorial.add((a, OA.motivatedBy, motivation))
                editorial.add((a, OA.hasBody, node))
                editorial.add((a, OA.hasTarget, p))
                editorial.add((a, DCTERMS.creator, project))
                g.add((node, PROV.wasDerivedFrom, p))
                if name == "assertions":
                    g.add((node, iris.kg.assertedBy, agents["report" if source.in_report(span.start) else "record"]))
                report.annotations += 1
        # drop the shorthand
        for q in list(g.objects(None, ed.quote)):
            if isinstance(q, BNode):
                g.remove((q, None, None))
        g.remove((None, ed.quote, None))
    report.passages = len(set(editorial.subjects(RDF.type, OA.SpecificResource)))


def add_interpolations(
    editorial: Graph,
    iris: Iris,
    source: SourceText,
    kinds: dict[str, str],
    translators: list[URIRef],
    report: EvidenceReport,
) -> None:
    """One annotation per bracketed insertion by the translators, classified by ``kinds``."""
    n = 0
    for b in source.brackets:
        kind = kinds.get(b.content)
        if kind is None:
            report.errors.append(f"bracket {b.text!r} at {b.start} has no kind in data/source/interpolations.tsv")
            continue
        p = add_passage(editorial, iris, source, Span(b.start, b.end))
        if b.content == "sic":
            a = iris.id("annotation", "sic")
            label = "The translators' [sic]"
        else:
            n += 1
            a = iris.id("annotation", f"interpolation/{n}")
            label = f"Translators' insertion {n}: {b.text}"
        body = URIRef(a + "/body")
        editorial.add((a, RDF.type, OA.Annotation))
        editorial.add((a, SKOS.prefLabel, Literal(label, lang="en")))
        editorial.add((a, OA.motivatedBy, OA.editing))
        editorial.add((a, OA.hasTarget, p))
        editorial.add((a, OA.hasBody, body))
        editorial.add((a, OA.hasBody, iris.id("concept", kind)))
        for t in translators:
            editorial.add((a, DCTERMS.creator, t))
        editorial.add((body, RDF.type, OA.TextualBody))
        editorial.add((body, RDF.value, Literal(b.content)))
        editorial.add((body, DCTERMS.language, Literal("en")))
        editorial.add((body, DCTERMS.format, Literal("text/plain")))
        report.interpolations += 1
