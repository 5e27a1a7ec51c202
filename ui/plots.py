"""Figures of learning for the app: a student's mastery over time and a class's students x concepts heat map.

matplotlib figures (Agg, no display), handed to `gr.Plot`. They draw what the service returns, which is
already shaped by role: a student's own curve names concepts in words that tell no open answer.
"""

from __future__ import annotations

from collections import defaultdict

import matplotlib
import matplotlib.dates

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
from matplotlib.figure import Figure  # noqa: E402

from tutor.storage.views import MasteryPoint  # noqa: E402

MAX_CONCEPTS = 12  # the most recently practised; more lines than this cannot be read


def mastery_curve(points: list[MasteryPoint], title: str) -> Figure | None:
    """Mastery per concept over time (one line each, the latest `MAX_CONCEPTS` concepts); None when empty."""
    if not points:
        return None
    series: dict[str, list[MasteryPoint]] = defaultdict(list)
    for point in points:
        series[point.concept].append(point)
    recent = sorted(series, key=lambda c: series[c][-1].at, reverse=True)[:MAX_CONCEPTS]
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    for concept in sorted(recent):
        line = series[concept]
        when = matplotlib.dates.date2num([p.at for p in line])
        ax.plot(when, [p.mastery * 100 for p in line], marker="o", markersize=3, label=concept)
    locator = matplotlib.dates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
    ax.set_ylim(0, 100)
    ax.set_ylabel("how sure the tutor is (%)")
    ax.set_title(title, fontsize=10, loc="right")  # the app's plot label sits over the top left corner
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    plt.close(fig)
    return fig


def class_heatmap(table: dict[str, dict[str, float]], title: str) -> Figure | None:
    """Students (rows) x concepts (columns), mastery as colour, blank where nothing was measured."""
    concepts = sorted({c for row in table.values() for c in row})
    if not table or not concepts:
        return None
    students = sorted(table)
    values = [[table[s].get(c, float("nan")) * 100 for c in concepts] for s in students]
    fig, ax = plt.subplots(
        figsize=(min(12, 2 + 0.45 * len(concepts)), 1.2 + 0.35 * len(students)), layout="constrained"
    )
    image = ax.imshow(values, vmin=0, vmax=100, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(len(concepts)), [c.replace("-", " ") for c in concepts], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(students)), students, fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, label="mastery (%)", shrink=0.8)
    plt.close(fig)
    return fig
