"""The legend and title boxes. Every piece of text is escaped here, in Python."""

from __future__ import annotations

from collections import Counter
from html import escape

from events import vocab
from maps import style


def _swatch(color: str) -> str:
    return f'<span class="sdb-swatch" style="background:{escape(color)}"></span>'


def legend_html(
    confidence_counts: Counter[str],
    type_counts: Counter[str],
    *,
    facility_types: set[str] | frozenset[str] = frozenset(),
    has_facilities: bool,
    choropleth_breaks: list[int] | None,
) -> str:
    """Return the legend's HTML: what each colour and size means.

    Parameters
    ----------
    confidence_counts, type_counts : collections.Counter
        Selected events per confidence level and per facility type.
    facility_types : set of str
        Types of the facilities drawn (listed even when no selected event has them).
    has_facilities : bool
        Whether the facilities layer exists (explains circle sizes).
    choropleth_breaks : list of int, optional
        Lower bounds of the region classes, when the choropleth exists.
    """
    parts = ["<details open><summary>Legend</summary>", "<h4>Confidence (event colour)</h4><ul>"]
    for level in vocab.CONFIDENCE_LEVELS:
        parts.append(
            f"<li>{_swatch(style.CONFIDENCE_COLORS[level])}<b>{escape(level)}</b> ({confidence_counts.get(level, 0)})"
            f' <span class="sdb-note">{escape(style.CONFIDENCE_EXPLANATIONS[level])}</span></li>'
        )
    parts.append("</ul>")
    if type_counts or facility_types:
        parts.append('<h4>Facility type (layers "By type", facilities)</h4><ul>')
        for facility_type in (*vocab.FACILITY_TYPES, style.UNKNOWN_TYPE):
            if type_counts.get(facility_type) or facility_type in facility_types:
                color = style.FACILITY_TYPE_COLORS.get(facility_type, style.UNKNOWN_TYPE_COLOR)
                parts.append(
                    f"<li>{_swatch(color)}{escape(style.facility_type_label(facility_type))}"
                    f" ({type_counts.get(facility_type, 0)} events)</li>"
                )
        parts.append("</ul>")
    if has_facilities:
        parts.append("<h4>Facilities</h4><ul>")
        for radius, text in ((5, "small or unknown capacity"), (9, "about 5 Mt/yr or 1,000 MW"), (13, "20 Mt/yr+")):
            parts.append(
                f'<li><span class="sdb-ring" style="width:{2 * radius}px;height:{2 * radius}px"></span>'
                f"{escape(text)}</li>"
            )
        parts.append("</ul>")
    if choropleth_breaks:
        parts.append("<h4>Strikes per region</h4><ul>")
        bounds = [*choropleth_breaks, None]
        for index, low in enumerate(choropleth_breaks):
            high = bounds[index + 1]
            label = f"{low}+" if high is None else (f"{low}" if high - 1 == low else f"{low}–{high - 1}")
            parts.append(
                f'<li><span class="sdb-box" style="background:{style.CHOROPLETH_COLORS[index]}"></span>'
                f"{escape(label)}</li>"
            )
        parts.append("</ul>")
    parts.append("</details>")
    return "".join(parts)


def title_html(title: str, subtitle: str | None) -> str:
    """Return the title box's HTML (both texts escaped)."""
    html = f"<b>{escape(title)}</b>"
    if subtitle:
        html += f"<br>{escape(subtitle)}"
    return html
