"""Server-side SVG charts of the report's figures, read from the RDF Data Cube (``id/dataset/figures``).

``province_figures`` asks the engine for the stated figures of one population per province (households
and persons, the two measures the report gives for every province); ``bar_panels`` draws them as
horizontal bars, one panel per measure, each bar linked to its observation. The SVG is plain markup
(escaped), readable without JavaScript and by screen readers (``role="img"`` with a title).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from fastapi import Request
from pyoxigraph import NamedNode

from ..i18n import pick_label
from ..links import Links
from ..view import labels_of, select

POPULATION = "id/concept/population-sent-1959"
MEASURES = ("households", "persons")

FIGURES = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX schema: <https://schema.org/>
SELECT ?population_p ?population ?obs ?area ?measure ?value WHERE {
  ?obs a qb:Observation ; sdmx-dimension:refArea ?area ; qb:measureType ?measure ; ?measure ?value ;
       ?population_p ?population .
  FILTER NOT EXISTS { ?area schema:containsPlace ?part }
} ORDER BY ?area ?measure"""


@dataclass
class Bar:
    label: str
    value: float
    href: str
    lang: str = ""
    highlight: bool = False
    note: str = ""


@dataclass
class Panel:
    title: str
    bars: list[Bar] = field(default_factory=list)


@dataclass
class ProvinceFigures:
    population: str  # label of the population counted
    population_href: str
    panels: list[Panel]
    areas: set[str]  # IRIs of the provinces charted


async def province_figures(request: Request, links: Links, lang: str, highlight: str | None = None) -> ProvinceFigures | None:
    """Stated households and persons sent in 1959, per province, with ``highlight`` (an area IRI) marked."""
    kg = request.app.state.iris.kg
    population = links.iri(POPULATION)
    rows = await select(
        request,
        FIGURES,
        (("population_p", str(kg.population)), ("population", population)),
    )
    wanted = {str(kg[m]): m for m in MEASURES}
    rows = [r for r in rows if r["measure"].value in wanted and isinstance(r["area"], NamedNode)]
    if not rows:
        return None
    names = await labels_of(request, {r["area"].value for r in rows} | {population} | set(wanted))
    panels = {m: Panel(_name(names, iri, lang, m.capitalize())) for iri, m in wanted.items()}
    for r in rows:
        area = r["area"].value
        label = pick_label(names.all(area), lang)
        panels[wanted[r["measure"].value]].bars.append(
            Bar(
                label=label.text if label else area,
                lang=label.lang if label else "",
                value=float(r["value"].value),
                href=links.href(r["obs"].value),
                highlight=area == highlight,
            )
        )
    for panel in panels.values():
        panel.bars.sort(key=lambda b: -b.value)
    pop_label = pick_label(names.all(population), lang)
    return ProvinceFigures(
        population=pop_label.text if pop_label else population,
        population_href=links.href(population),
        panels=[panels[iri_m] for iri_m in MEASURES],
        areas={r["area"].value for r in rows},
    )


def _name(names, iri: str, lang: str, fallback: str) -> str:
    label = pick_label(names.all(iri), lang)
    return label.text if label else fallback


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def bar_panels(panels: list[Panel], title: str, width: int = 900, row: int = 22) -> str:
    """Panels of horizontal bars side by side, as one SVG element."""
    if not panels or not any(p.bars for p in panels):
        return ""
    gap = 24
    panel_w = (width - gap * (len(panels) - 1)) / len(panels)
    label_w = min(200.0, panel_w * 0.45)
    value_w = 56.0
    top = 40
    n = max(len(p.bars) for p in panels)
    height = top + n * row + 12
    out = [
        f'<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for i, panel in enumerate(panels):
        x0 = i * (panel_w + gap)
        bar_x = x0 + label_w + 6
        bar_max = panel_w - label_w - 6 - value_w
        peak = max((b.value for b in panel.bars), default=0) or 1
        heading = panel.title[:1].upper() + panel.title[1:]
        out.append(f'<text class="panel-title" x="{x0:.1f}" y="20">{escape(heading)}</text>')
        for j, bar in enumerate(panel.bars):
            y = top + j * row
            w = max(1.0, bar.value / peak * bar_max)
            cls = "bar highlight" if bar.highlight else "bar"
            lang = f' xml:lang="{escape(bar.lang)}"' if bar.lang else ""
            out.append(
                f'<a href="{escape(bar.href)}" class="{cls}">'
                f"<title>{escape(bar.label)}: {_number(bar.value)} {escape(panel.title)}</title>"
                f'<text class="bar-label" x="{bar_x - 6:.1f}" y="{y + row * 0.65:.1f}" text-anchor="end"{lang}>'
                f"{escape(bar.label if len(bar.label) <= 26 else bar.label[:25] + '…')}</text>"
                f'<rect x="{bar_x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 7}"></rect>'
                f'<text class="bar-value" x="{bar_x + w + 4:.1f}" y="{y + row * 0.65:.1f}">{_number(bar.value)}</text>'
                "</a>"
            )
    out.append("</svg>")
    return "\n".join(out)
