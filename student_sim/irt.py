"""2PL item response theory over a simulated cohort's responses (girth's marginal maximum likelihood).

P(student j answers item i right) = 1 / (1 + exp(-a_i (theta_j - b_i))): b is the item's difficulty on the
students' ability scale, a its discrimination. Items are problem steps; a problem is also fitted as one
item (right iff every step is right), which is what its hand-written 1-5 difficulty describes.

Why girth: it is on PyPI, needs only numpy and scipy, fits 2PL by marginal maximum likelihood with missing
responses, and runs in a second on a bank-sized matrix. py-irt (the other maintained choice) pulls in torch
and pyro for a variational fit we do not need.

An item every student answers the same way (all right or all wrong) carries no information on either
parameter: it is reported as such, left out of the fit, and given no parameters. Reliability is the
marginal reliability of the EAP ability estimates (var(EAP) / (var(EAP) + mean posterior variance)) and,
as a classical figure, the split-half (odd/even items, Spearman-Brown) reliability of the sum scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MISSING = -99999  # girth.INVALID_RESPONSE: a response the student never gave
# girth's marginal ML searches the discrimination in this interval; an estimate on its edge is censored.
DISCRIMINATION_BOUNDS = (0.2, 5.0)
_QUADRATURE = np.linspace(-6, 6, 121)


@dataclass(frozen=True)
class ItemFit:
    """One item's 2PL parameters (None when the item could not be fitted) and its classical figures."""

    item: str
    difficulty: float | None
    discrimination: float | None
    p_correct: float
    responses: int
    note: str = ""


@dataclass(frozen=True)
class IrtFit:
    """A 2PL fit: per-item parameters and the fit's reliability."""

    items: list[ItemFit]
    students: int
    marginal_reliability: float | None
    split_half_reliability: float | None

    @property
    def at_bounds(self) -> int:
        """Items whose discrimination sits on the edge of the search interval (a censored estimate)."""
        low, high = DISCRIMINATION_BOUNDS
        return sum(
            1
            for i in self.items
            if i.discrimination is not None and (i.discrimination <= low + 1e-3 or i.discrimination >= high - 1e-3)
        )


def response_matrix(
    responses: Mapping[tuple[str, str], bool], items: Sequence[str], students: Sequence[str]
) -> np.ndarray:
    """items x students of 1/0, MISSING where (item, student) has no response."""
    matrix = np.full((len(items), len(students)), MISSING, dtype=int)
    item_index = {item: i for i, item in enumerate(items)}
    student_index = {student: j for j, student in enumerate(students)}
    for (item, student), correct in responses.items():
        matrix[item_index[item], student_index[student]] = int(correct)
    return matrix


def fit_2pl(matrix: np.ndarray, items: Sequence[str]) -> IrtFit:
    """Fit the 2PL model to an items x students matrix (MISSING allowed)."""
    from girth import twopl_mml  # imported here: only the calibration needs it

    observed = matrix != MISSING
    counts = observed.sum(axis=1)
    rights = np.where(observed, matrix, 0).sum(axis=1)
    varied = (rights > 0) & (rights < counts)
    fitted: dict[int, tuple[float, float]] = {}
    if varied.sum() >= 2:
        result = twopl_mml(matrix[varied])
        varied_rows = [int(r) for r in np.flatnonzero(varied)]
        for row, a, b in zip(varied_rows, result["Discrimination"], result["Difficulty"], strict=True):
            fitted[row] = (float(a), float(b))
    out = []
    for i, item in enumerate(items):
        p = float(rights[i] / counts[i]) if counts[i] else math.nan
        a_b = fitted.get(i)
        note = "" if a_b else _why_not_fitted(int(rights[i]), int(counts[i]))
        out.append(ItemFit(item, a_b[1] if a_b else None, a_b[0] if a_b else None, p, int(counts[i]), note))
    rows = sorted(fitted)
    kept = matrix[rows]
    a = np.array([fitted[r][0] for r in rows])
    b = np.array([fitted[r][1] for r in rows])
    return IrtFit(out, matrix.shape[1], marginal_reliability(kept, a, b), split_half(kept))


def _why_not_fitted(rights: int, count: int) -> str:
    if count == 0:
        return "no responses"
    if rights == count:
        return "all right"
    return "all wrong" if rights == 0 else "fewer than two items vary"


def marginal_reliability(matrix: np.ndarray, a: np.ndarray, b: np.ndarray) -> float | None:
    """var(EAP) / (var(EAP) + mean posterior variance), abilities on a standard normal prior."""
    if matrix.size == 0 or len(a) == 0:
        return None
    theta = _QUADRATURE
    p = 1 / (1 + np.exp(-a[:, None] * (theta[None, :] - b[:, None])))  # items x quadrature
    observed = matrix != MISSING
    right = (matrix == 1) & observed
    wrong = (matrix == 0) & observed
    log_like = right.T.astype(float) @ np.log(p) + wrong.T.astype(float) @ np.log(1 - p)  # students x quad
    log_post = log_like - theta[None, :] ** 2 / 2
    post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    eap = post @ theta
    psd2 = post @ theta**2 - eap**2
    var_eap = float(np.var(eap))
    denominator = var_eap + float(np.mean(psd2))
    return var_eap / denominator if denominator > 0 else None


def split_half(matrix: np.ndarray) -> float | None:
    """Spearman-Brown corrected correlation of the odd-item and even-item proportions right."""
    if matrix.shape[0] < 2:
        return None
    halves = []
    for rows in (matrix[0::2], matrix[1::2]):
        observed = rows != MISSING
        right = np.where(observed, rows, 0).sum(axis=0)
        seen = observed.sum(axis=0)
        halves.append(np.divide(right, seen, out=np.full(seen.shape, np.nan), where=seen > 0))
    ok = ~np.isnan(halves[0]) & ~np.isnan(halves[1])
    if ok.sum() < 3 or np.std(halves[0][ok]) == 0 or np.std(halves[1][ok]) == 0:
        return None
    r = float(np.corrcoef(halves[0][ok], halves[1][ok])[0, 1])
    return 2 * r / (1 + r)
