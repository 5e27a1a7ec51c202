"""Seeded percentile bootstrap intervals: one helper over `scipy.stats.bootstrap` for every report.

scipy draws the resamples; the interval is read from its bootstrap distribution with `np.nanpercentile`
so that draws on which a statistic is undefined (no debugging dialogue drawn, say) are left out instead of
turning the whole interval into NaN. Samples may hold any objects: scipy resamples their positions and the
statistic sees the drawn items. The same seed, sample sizes and `paired` give the same draws, so intervals
of several statistics over one sample are computed on the same resamples.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import stats

RESAMPLES = 2000
SEED = 0


def percentile_interval(draws: Sequence[float] | np.ndarray, confidence: float = 0.95) -> tuple[float, float] | None:
    """The central `confidence` interval of the draws, NaN draws left out; None when every draw is NaN."""
    values = np.asarray(draws, dtype=float)
    if values.size == 0 or np.isnan(values).all():
        return None
    tail = 100 * (1 - confidence) / 2
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_interval(
    statistic: Callable[..., Any],
    *samples: Sequence[Any] | np.ndarray,
    paired: bool = False,
    vectorized: bool = False,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    confidence: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of `statistic(*samples)`; None when a sample has fewer than two items
    or the statistic is undefined on every draw.

    paired: one draw of positions serves every sample (they must be the same length, in matching order);
    otherwise each sample is resampled on its own.
    vectorized=False: `statistic` gets one list per sample and returns a float, or None where undefined.
    vectorized=True: the samples are numpy arrays and `statistic` gets one array per sample, shaped
    (draws, items), and returns one value per draw (NaN where undefined): much faster for array statistics.
    """
    if not samples or any(len(s) < 2 for s in samples):
        return None
    positions = tuple(np.arange(len(s)) for s in samples)

    def on_draw(*drawn: np.ndarray, axis: int = -1) -> Any:
        if vectorized:
            return statistic(*(np.asarray(s)[d] for s, d in zip(samples, drawn, strict=True)))
        value = statistic(*([s[i] for i in d] for s, d in zip(samples, drawn, strict=True)))
        return np.nan if value is None else value

    with warnings.catch_warnings():
        # scipy warns when its own interval is NaN; ours is read below with the NaN draws left out.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            positions,
            on_draw,
            paired=paired,
            vectorized=vectorized,
            n_resamples=resamples,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    return percentile_interval(result.bootstrap_distribution, confidence)


def mean_interval(
    values: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float] | None:
    """Percentile bootstrap 95% interval of the mean of `values` (None for fewer than two)."""
    return bootstrap_interval(
        lambda v: np.mean(v, axis=-1), np.asarray(values, dtype=float), vectorized=True, resamples=resamples, seed=seed
    )


__all__ = ["RESAMPLES", "SEED", "bootstrap_interval", "mean_interval", "percentile_interval"]
