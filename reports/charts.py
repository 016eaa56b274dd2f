"""Trend charts as vector SVG (matplotlib), embedded in the report as data: URLs.

Text stays text in the SVG (svg.fonttype = none), so WeasyPrint sets it in the report's own
CJK font: Chinese labels are glyphs, and they can be searched and copied in the PDF. Each
measure gets its own axis in its own unit (rates in %, QA in points, penalties per 100), ticks
fall on round numbers, and every target line says what it is. No label is written on the plot,
where it would sit on the data: lines and targets are named in a legend under their chart (a grid of
small charts is explained by its note).
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

FONT = ["Noto Sans CJK SC", "DejaVu Sans"]
COLORS = {"csat": "#1f6f8b", "qa_score": "#6b8e23", "attendance_rate": "#e07a5f", "penalty_rate_per_100": "#9a3412",
          "center": "#8d99ae", "target": "#555555"}
plt.rcParams.update({
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": FONT,
    "font.size": 8,
    "svg.hashsalt": "ccpulse",  # stable element ids: the same data gives the same bytes
    "text.parse_math": False,  # a team called "A $5 B" is text, never mathtext
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 8.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
})


@dataclass
class Line:
    label: str
    values: list[float | None]  # one per month, in the panel's unit
    color_key: str
    dashed: bool = False
    named: bool = False  # named in the panel's legend (when a panel holds two measures)


@dataclass
class Panel:
    title: str
    lines: list[Line]
    unit: str = ""  # "%" for rates (values already × 100), "" otherwise
    targets: list[tuple[float, str]] = field(default_factory=list)  # (value, label)
    decimals: int = 0
    title_width: int = 40  # about how many characters wide the panel is: fewer month labels when small
    min_span: float = 10.0  # the axis shows at least this range, so that small wobbles do not look like cliffs
    from_zero: bool = False  # counts and rates per 100 start at 0


def _svg_url(figure) -> str:
    figure.patch.set_visible(False)  # the page is white: no white rectangles to draw under the chart
    for axes in figure.axes:
        axes.patch.set_visible(False)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(_lean(buffer.getvalue()).encode("utf-8")).decode("ascii")


# matplotlib's groups that carry nothing but an id; the legends' stay (a test finds a label's legend by its group)
_BARE_GROUP = re.compile(r'<g id="(?!legend)[^"]*">|<g>')


def _lean(svg: str) -> str:
    """The same chart in fewer SVG elements: WeasyPrint parses, styles and draws every element of a chart, in
    every report. Out go the id-only groups, the catch-all style rule (round line joins: the lines now join
    mitred, SVG's default), the identity rotations of the labels and the whitespace between elements; every
    line, point and word stays where it was."""
    svg = re.sub(r' transform="rotate\(-?0 [\d.-]+ [\d.-]+\)"', "", svg)
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>", "", svg)
    # the reports' own cut of the CJK font first, as in report.css
    svg = svg.replace("font-family: 'Noto Sans CJK SC'", "font-family: 'ccpulse Noto Sans CJK SC', 'Noto Sans CJK SC'")
    kept: list[bool] = []  # per open group: whether its tags are written
    out, position = [], 0
    for match in re.finditer(r"<g\b[^>]*>|</g>", svg):
        out.append(svg[position:match.start()])
        position = match.end()
        if match.group(0) == "</g>":
            if kept.pop():
                out.append("</g>")
        else:
            kept.append(not _BARE_GROUP.fullmatch(match.group(0)))
            if kept[-1]:
                out.append(match.group(0))
    out.append(svg[position:])
    return re.sub(r">\s+<", "><", "".join(out))


def _draw(axes, months: list[str], panel: Panel, month_labels: bool) -> list[float]:
    """The panel's lines and labelled targets; returns every value drawn (for a shared axis)."""
    positions = range(len(months))
    plotted, legend = [], []
    for line in panel.lines:
        points = [(x, v) for x, v in zip(positions, line.values) if v is not None]
        if not points:
            continue
        plotted += [v for _, v in points]
        color = COLORS.get(line.color_key, COLORS["center"])
        drawn = axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=2.2,
                          linewidth=1.3, color=color, linestyle="--" if line.dashed else "-", label=line.label)
        if line.named:
            legend += drawn
    for value, label in panel.targets:
        plotted.append(value)
        legend.append(axes.axhline(value, color=COLORS["target"], linewidth=0.7, linestyle=":", label=label))
    if legend and panel.title_width > 20:  # under the month labels, off the data; small multiples have a note
        axes.legend(handles=legend, loc="upper left", bbox_to_anchor=(-0.02, -0.17), ncol=len(legend),
                    frameon=False, fontsize=7, handlelength=1.6, handletextpad=0.4, columnspacing=0.9,
                    borderaxespad=0, borderpad=0)
    _fit(axes, plotted, panel)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=panel.decimals == 0))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.{panel.decimals}f}{panel.unit}"))
    axes.grid(axis="y", linewidth=0.3)
    axes.set_xlim(-0.5, len(months) - 0.5)
    step = 1 if len(months) <= 6 else 2 if panel.title_width > 20 else 4  # small panels get fewer labels
    ticks = list(positions)[::-1][::step][::-1]  # always the last month
    axes.set_xticks(ticks, [months[i][2:] for i in ticks] if month_labels else [])
    axes.set_title(panel.title)
    return plotted


def _fit(axes, values: list[float], panel: Panel) -> None:
    if not values:
        return
    low, high = (0.0 if panel.from_zero else min(values)), max(values)
    if high - low < panel.min_span:  # widen around the middle, never below 0 or above 100%
        middle = (high + low) / 2
        low, high = middle - panel.min_span / 2, middle + panel.min_span / 2
        if panel.from_zero or low < 0:
            low, high = 0.0, max(high - low, high)
        if panel.unit == "%" and high > 100:
            low, high = low - (high - 100), 100.0
    pad = (high - low) * 0.08
    axes.set_ylim(low - (0 if panel.from_zero else pad), high + pad)


def trend_panels(months: list[str], panels: list[Panel], legend: list[tuple[str, str, bool]]) -> str:
    """One row of small charts sharing the months, each measure on its own axis; one legend above.

    `legend`: (label, color key, dashed) entries. Returns a `data:image/svg+xml;base64,…` URL.
    """
    figure, axes = plt.subplots(1, len(panels), figsize=(7.3, 2.3))
    for ax, panel in zip(axes if len(panels) > 1 else [axes], panels):
        _draw(ax, months, panel, month_labels=True)
    if legend:
        handles = [matplotlib.lines.Line2D([], [], color=COLORS.get(key, COLORS["center"]), linewidth=1.3,
                                           linestyle="--" if dashed else "-") for _, key, dashed in legend]
        figure.legend(handles, [label for label, _, _ in legend], loc="upper center", ncol=len(legend),
                      frameon=False, fontsize=8)
    # fixed margins: tight_layout costs a draw
    figure.subplots_adjust(left=0.06, right=0.99, top=0.81 if legend else 0.88, bottom=0.24, wspace=0.32)
    return _svg_url(figure)


def small_multiples(months: list[str], panels: list[Panel], columns: int = 4) -> str:
    """A grid of small charts (one per team), the same axis for all so they compare at a glance."""
    for panel in panels:
        panel.title_width = 20
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(7.3, 1.25 * rows + 0.2), sharey=True, squeeze=False)
    drawn = []
    for index, ax in enumerate(axes.flat):
        if index >= len(panels):
            ax.set_visible(False)
            continue
        drawn += _draw(ax, months, panels[index], month_labels=index >= len(panels) - columns)
    _fit(axes.flat[0], drawn, panels[0])  # one scale for every team
    figure.subplots_adjust(left=0.07, right=0.99, top=1 - 0.32 / (1.25 * rows + 0.2), bottom=0.35 / (1.25 * rows + 0.2),
                           wspace=0.12, hspace=0.55)
    return _svg_url(figure)
