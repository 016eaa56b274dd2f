"""Trend charts as vector SVG (matplotlib), embedded in the report as data: URLs.

Text stays text in the SVG (svg.fonttype = none), so WeasyPrint sets it in the report's own
CJK font: Chinese labels are glyphs, and they can be searched and copied in the PDF.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

FONT = ["Noto Sans CJK SC", "DejaVu Sans"]
COLORS = {"csat": "#1f6f8b", "qa_score": "#99a832", "attendance_rate": "#e07a5f", "center": "#8d99ae"}
plt.rcParams.update({
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": FONT,
    "font.size": 8,
    "svg.hashsalt": "ccpulse",  # stable element ids: the same data gives the same bytes
    "axes.spines.top": False,
    "axes.spines.right": False,
})


def trend_chart(months: list[str], series: dict[str, list[float | None]], labels: dict[str, str],
                targets: dict[str, float] | None = None, dashed: set[str] = frozenset()) -> str:
    """A line per series (values as fractions, shown as %), with dotted target lines.

    Returns a `data:image/svg+xml;base64,…` URL.
    """
    figure, axes = plt.subplots(figsize=(7.2, 2.6))
    positions = list(range(len(months)))
    for key, values in series.items():
        points = [(x, v * 100) for x, v in zip(positions, values) if v is not None]
        if not points:
            continue
        color = COLORS.get(key.split(":")[0], COLORS["center"])
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3, linewidth=1.5,
                  color=color, linestyle="--" if key in dashed else "-", label=labels[key])
    for key, target in (targets or {}).items():
        axes.axhline(target * 100, color=COLORS.get(key, "#999999"), linewidth=0.8, linestyle=":")
    axes.set_xticks(positions, months, rotation=0 if len(months) <= 6 else 45, ha="center" if len(months) <= 6 else "right")
    axes.set_xlim(-0.5, len(months) - 0.5)
    axes.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:.0f}%"))
    axes.grid(axis="y", linewidth=0.3)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncol=len(series), fontsize=7)
    figure.subplots_adjust(left=0.08, right=0.99, top=0.86, bottom=0.24)  # fixed: tight_layout costs a draw
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
