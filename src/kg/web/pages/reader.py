"""The reader: the whole source text with every annotated passage marked.

Passages (``id/passage/{start}-{end}``) may overlap and cross nothing but paragraphs, so the text is cut at
every passage boundary and every paragraph break into segments; each segment knows the passages covering
it. A passage is a *fact* when an ``oa:describing`` annotation ties a statement of the assertions graph
to it, a *mention* when an ``oa:identifying`` annotation names an entity there, an *insertion*
when the translators' ``oa:editing`` annotation marks a bracket, and *sic* for their ``[sic]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi import Request
from pyoxigraph import Literal, NamedNode

from ..i18n import pick_label
from ..links import Links
from ..view import labels_of, select

OA = "http://www.w3.org/ns/oa#"
KINDS = ("fact", "mention", "insertion", "sic")

TEXT = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?source ?text WHERE { ?source rdf:value ?text } LIMIT 1"""

PASSAGES = """PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT DISTINCT ?source ?passage ?start ?end ?annotation ?motivation ?body WHERE {
  ?passage oa:hasSource ?source ; oa:hasSelector ?position .
  ?position oa:start ?start ; oa:end ?end .
  ?annotation oa:hasTarget ?passage ; oa:motivatedBy ?motivation .
  OPTIONAL { ?annotation oa:hasBody ?body . FILTER NOT EXISTS { ?body a oa:TextualBody } }
} ORDER BY ?start ?end ?annotation ?body"""


@dataclass
class Link:
    iri: str
    href: str
    label: str
    lang: str = ""


@dataclass
class Passage:
    start: int
    end: int
    iri: str
    href: str
    facts: list[Link] = field(default_factory=list)
    mentions: list[Link] = field(default_factory=list)
    edits: list[Link] = field(default_factory=list)  # the translators' annotations
    sic: bool = False

    @property
    def id(self) -> str:
        return f"passage-{self.start}-{self.end}"

    @property
    def kinds(self) -> list[str]:
        out = []
        if self.facts:
            out.append("fact")
        if self.mentions:
            out.append("mention")
        if self.edits and not self.sic:
            out.append("insertion")
        if self.sic:
            out.append("sic")
        return out


@dataclass
class Segment:
    text: str  # the stored characters, or "" for an emphasis mark (``**``), which is not shown
    passages: list[Passage]  # covering this segment, outermost (longest) first
    starts: list[Passage]  # passages that begin here (anchors)
    strong: bool = False  # inside the archive's ``**…**`` emphasis

    @property
    def classes(self) -> list[str]:
        kinds = {k for p in self.passages for k in p.kinds}
        return [k for k in KINDS if k in kinds]

    @property
    def ids(self) -> str:
        return " ".join(p.id for p in self.passages)


@dataclass
class Paragraph:
    start: int
    end: int
    segments: list[Segment]
    passages: list[Passage]  # those beginning in this paragraph
    in_report: bool


def paragraphs_of(text: str) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs as [start, end) offsets (the separators belong to none)."""
    out, pos = [], 0
    for block in text.split("\n\n"):
        if block.strip():
            lead = len(block) - len(block.lstrip("\n"))
            out.append((pos + lead, pos + len(block.rstrip("\n"))))
        pos += len(block) + 2
    return out


EMPHASIS = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)


def emphasis_of(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The archive record's Markdown emphasis: ([start, end) of each ``**`` mark, [start, end) of each
    emphasised run between two marks). Offsets of the stored text; nothing is removed from it."""
    marks, runs = [], []
    for m in EMPHASIS.finditer(text):
        marks += [(m.start(), m.start() + 2), (m.end() - 2, m.end())]
        runs.append((m.start(1), m.end(1)))
    return marks, runs


def segment(text: str, passages: list[Passage], report_start: int) -> list[Paragraph]:
    """Cut the text at passage boundaries inside each paragraph, and at the emphasis marks: a mark's
    segment shows nothing, the run between two marks is shown strong; the stored text and every offset
    stay as they are (a passage's anchor sits where it starts, mark or not)."""
    out = []
    ordered = sorted(passages, key=lambda p: (p.start, -p.end))
    marks, runs = emphasis_of(text)
    for ps, pe in paragraphs_of(text):
        inside = [p for p in ordered if p.start < pe and p.end > ps]
        cuts = {ps, pe} | {max(ps, min(pe, x)) for p in inside for x in (p.start, p.end)}
        cuts |= {max(ps, min(pe, x)) for span in marks + runs for x in span}
        points = sorted(cuts)
        segments = []
        for a, b in zip(points, points[1:]):
            if a == b:
                continue
            covering = sorted((p for p in inside if p.start <= a and p.end >= b), key=lambda p: p.start - p.end)
            starting = [p for p in inside if p.start == a]
            hidden = any(m0 <= a and b <= m1 for m0, m1 in marks)
            strong = any(r0 <= a and b <= r1 for r0, r1 in runs)
            segments.append(Segment("" if hidden else text[a:b], covering, starting, strong))
        out.append(
            Paragraph(ps, pe, segments, [p for p in ordered if ps <= p.start < pe], in_report=ps >= report_start)
        )
    return out


async def source_text(request: Request, source: str) -> str | None:
    cache = request.app.state.source_texts  # shared with the resource pages: one text per source IRI
    if source not in cache:
        rows = await select(request, TEXT, (("source", source),))
        cache[source] = rows[0]["text"].value if rows and isinstance(rows[0]["text"], Literal) else None
    return cache[source]


async def passages_of(request: Request, source: str, links: Links, lang: str) -> list[Passage]:
    rows = await select(request, PASSAGES, (("source", source),))
    bodies = {r["body"].value for r in rows if isinstance(r.get("body"), NamedNode)}
    annotations = {r["annotation"].value for r in rows if isinstance(r.get("annotation"), NamedNode)}
    names = await labels_of(request, bodies | annotations)

    def link(iri: str) -> Link:
        label = pick_label(names.all(iri), lang)
        return Link(iri, links.href(iri), label.text if label else names.name(iri) or iri, label.lang if label else "")

    found: dict[str, Passage] = {}
    for r in rows:
        iri = r["passage"].value
        p = found.setdefault(iri, Passage(int(r["start"].value), int(r["end"].value), iri, links.href(iri)))
        motivation = r["motivation"].value
        body = r["body"].value if isinstance(r.get("body"), NamedNode) else None
        if motivation == OA + "editing":
            annotation = r["annotation"].value
            if annotation.rstrip("/").endswith("/sic"):
                p.sic = True
            if not any(e.iri == annotation for e in p.edits):
                p.edits.append(link(annotation))
        elif body is not None:
            target = p.facts if motivation == OA + "describing" else p.mentions
            if not any(x.iri == body for x in target):
                target.append(link(body))
    return sorted(found.values(), key=lambda p: (p.start, p.end))
