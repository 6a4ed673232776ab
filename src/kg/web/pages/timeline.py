"""A timeline of the report's dated events, drawn at the precision the report states.

Each event's time-span carries an EDTF date and its bounds ``crm:P82a_begin_of_the_begin`` /
``crm:P82b_end_of_the_end``; the bar runs from the first to the last instant, so a day is a sliver (with
a dot so it can be seen), a month a bar of a month, a year a bar of a year. The axis spans whole years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from fastapi import Request

from ..i18n import pick_label
from ..links import Links
from ..view import labels_of, select

EVENTS = """PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?event ?edtf ?begin ?end WHERE {
  ?event crm:P4_has_time-span ?span .
  ?span dcterms:date ?edtf ; crm:P82a_begin_of_the_begin ?begin ; crm:P82b_end_of_the_end ?end .
} ORDER BY ?begin ?end ?event"""

RELATED = """PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
SELECT DISTINCT ?x ?event WHERE {
  ?event crm:P4_has_time-span ?span .
  { ?event ?p ?x } UNION { ?x ?q ?event } UNION { ?x crm:P4_has_time-span ?own . BIND(?x AS ?event) }
}"""

PRECISION = {4: "year", 7: "month", 10: "day"}


@dataclass
class Event:
    iri: str
    href: str
    label: str
    lang: str
    edtf: str
    begin: datetime
    end: datetime
    highlight: bool = False

    @property
    def precision(self) -> str:
        parts = [PRECISION.get(len(p), "?") for p in self.edtf.split("/")]
        return parts[0] if len(set(parts)) == 1 else "/".join(parts)


async def dated_events(request: Request, links: Links, lang: str, related_to: str | None = None) -> list[Event]:
    """Every dated event; with ``related_to``, those linked to it (either direction) are highlighted and
    the list is empty when none is."""
    rows = await select(request, EVENTS)
    related: set[str] = set()
    if related_to is not None:
        related = {r["event"].value for r in await select(request, RELATED, (("x", related_to),))}
        if not related:
            return []
    names = await labels_of(request, {r["event"].value for r in rows})
    out = []
    for r in rows:
        iri = r["event"].value
        label = pick_label(names.all(iri), lang)
        out.append(
            Event(
                iri=iri,
                href=links.href(iri),
                label=label.text if label else iri,
                lang=label.lang if label else "",
                edtf=r["edtf"].value,
                begin=datetime.fromisoformat(r["begin"].value),
                end=datetime.fromisoformat(r["end"].value),
                highlight=iri in related,
            )
        )
    return out


def _x(t: datetime, t0: datetime, t1: datetime, x0: float, width: float) -> float:
    return x0 + (t - t0).total_seconds() / (t1 - t0).total_seconds() * width


def timeline_svg(events: list[Event], title: str = "Dated events", width: int = 900, row: int = 24) -> str:
    if not events:
        return ""
    first = min(e.begin for e in events).year
    last = max(e.end for e in events).year
    t0, t1 = datetime(first, 1, 1), datetime(last + 1, 1, 1)
    label_w = 300.0
    x0, axis_w = label_w + 10, width - label_w - 20
    top = 28
    height = top + len(events) * row + 8
    out = [
        f'<svg class="chart timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="timeline-title">',
        f'<title id="timeline-title">{escape(title)}</title>',
    ]
    for year in range(first, last + 2):
        x = _x(datetime(year, 1, 1), t0, t1, x0, axis_w)
        out.append(f'<line class="year" x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{height - 4}"></line>')
        if year <= last:
            mid = _x(datetime(year, 7, 1), t0, t1, x0, axis_w)
            out.append(f'<text class="year-label" x="{mid:.1f}" y="{top - 12}" text-anchor="middle">{year}</text>')
        for month in range(2, 13):
            if year <= last:
                xm = _x(datetime(year, month, 1), t0, t1, x0, axis_w)
                out.append(f'<line class="month" x1="{xm:.1f}" y1="{top - 4}" x2="{xm:.1f}" y2="{top}"></line>')
    for i, e in enumerate(events):
        y = top + i * row
        xb = _x(e.begin, t0, t1, x0, axis_w)
        xe = _x(e.end, t0, t1, x0, axis_w)
        w = max(xe - xb, 1.5)
        cls = "event highlight" if e.highlight else "event"
        lang = f' xml:lang="{escape(e.lang)}"' if e.lang else ""
        label = e.label if len(e.label) <= 46 else e.label[:45] + "…"
        shape = f'<rect x="{xb:.2f}" y="{y + 5}" width="{w:.2f}" height="{row - 10}"></rect>'
        if e.precision == "day":
            shape += f'<circle cx="{xb + w / 2:.2f}" cy="{y + row / 2:.1f}" r="3.5"></circle>'
        out.append(
            f'<a href="{escape(e.href)}" class="{cls}" data-precision="{escape(e.precision)}" '
            f'data-edtf="{escape(e.edtf)}">'
            f"<title>{escape(e.label)}: {escape(e.edtf)} ({escape(e.precision)}; "
            f"{e.begin:%Y-%m-%d} to {e.end:%Y-%m-%d})</title>"
            f'<text class="event-label" x="0" y="{y + row * 0.66:.1f}"{lang}>'
            f"{escape(label)}</text>{shape}</a>"
        )
    out.append("</svg>")
    return "\n".join(out)
