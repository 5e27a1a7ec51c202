"""The report's figures, drawn with matplotlib's object API (no pyplot: no global state, no display).

Each function takes the run's summary (`evals.aggregate.summarise`) and returns PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

_DPI = 110
_MARKERS = ("o", "s", "^", "D", "v", "P")
_STYLES = ("-", "--", "-.", ":")


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    return buffer.getvalue()


def curves_png(summary: dict[str, Any], variants: Sequence[str]) -> bytes:
    """Success@k and Telling@k, k = 1..N, one line per variant."""
    k_max = int(summary["k_max"])
    ks = list(range(1, k_max + 1))
    fig = Figure(figsize=(10, 3.8))
    for ax, key, title in zip(
        fig.subplots(1, 2), ("success_at_k", "telling_at_k"), ("Success@k", "Telling@k"), strict=True
    ):
        for i, name in enumerate(variants):
            block = summary["variants"].get(name)
            if block:
                # Later lines thinner, with their own marker and dash: equal curves stay visible on top
                # of each other instead of hiding one another.
                ax.plot(
                    ks,
                    [100 * v for v in block[key]],
                    marker=_MARKERS[i % len(_MARKERS)],
                    linestyle=_STYLES[i % len(_STYLES)],
                    linewidth=max(4.5 - 1.2 * i, 1.2),
                    markersize=max(9 - 2 * i, 4),
                    alpha=0.85,
                    label=f"{name} (n={block['n']})",
                )
        ax.set_title(title)
        ax.set_xlabel("k (student turns)")
        ax.set_ylabel("% of dialogues")
        ax.set_ylim(-3, 103)
        ax.set_xticks(ks)
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, loc="best")
    return _png(fig)


def _bars(ax: Any, summary: dict[str, Any], variants: Sequence[str], metric: str, title: str) -> None:
    domains = sorted({key.split("/", 1)[1] for key in summary["by_domain"]})
    series = ["all", *domains]
    width = 0.8 / len(series)
    for i, serie in enumerate(series):
        values = []
        for name in variants:
            block = summary["variants"].get(name) if serie == "all" else summary["by_domain"].get(f"{name}/{serie}")
            value = block["metrics"].get(metric) if block else None
            values.append(float("nan") if value is None else 100 * value)
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(variants))]
        bars = ax.bar(xs, values, width=width, label=serie)
        ax.bar_label(bars, labels=["" if v != v else f"{v:.0f}" for v in values], fontsize=7, padding=1)
        for x, v in zip(xs, values, strict=True):
            if v != v:  # NaN: nothing to measure (no numbers stated, no dialogue of that domain)
                ax.text(x, 1, "n/a", ha="center", va="bottom", fontsize=7, color="grey", rotation=90)
    ax.set_xticks(range(len(variants)), list(variants), rotation=20, ha="right")
    ax.set_xlim(-0.5, len(variants) - 0.5)  # all-NaN groups must keep their place (and their n/a marks)
    ax.set_ylim(0, 110)
    ax.set_ylabel("%")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)


def rates_png(summary: dict[str, Any], variants: Sequence[str]) -> bytes:
    """Leak rate and calculation accuracy per variant, overall and per domain."""
    fig = Figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2)
    _bars(left, summary, variants, "leak_rate", "Leak rate (tutor told first)")
    _bars(right, summary, variants, "calc_accuracy", "Numbers the tutor stated that are correct")
    left.legend(fontsize=8, loc="upper left")
    return _png(fig)


def outcomes_png(summary: dict[str, Any], variants: Sequence[str]) -> bytes:
    """Solved without telling, and turns asking a question, per variant and domain."""
    fig = Figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2)
    _bars(left, summary, variants, "solve_rate", "Solved without being told")
    _bars(right, summary, variants, "question_share", "Tutor turns that ask a question")
    left.legend(fontsize=8, loc="upper left")
    return _png(fig)


__all__ = ["curves_png", "outcomes_png", "rates_png"]
