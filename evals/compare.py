"""Comparing two eval runs (or two variants): B minus A on every metric, with bootstrap 95% CIs.

    comparisons = compare_runs(Path("runs/eval-a"), Path("runs/eval-b"))
    print(render_comparison(comparisons))

Variants are matched by name (`socratic` in A against `socratic` in B); name them explicitly to compare
different variants, or two variants of one run (`compare_runs(run, run, variant_a="socratic",
variant_b="assist")`). Dialogues are paired by (problem, profile, seed) whenever both sides share such
keys, which is the case for two runs of the same config with different models or prompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.aggregate import DEBUGGING, HEADLINE, METRICS, Difference, bootstrap_difference, group
from evals.files import read_scores, run_config
from evals.labels import DIMENSIONS
from evals.report import fmt, fmt_diff
from evals.scores import DialogueScore
from tutor.errors import ConfigError


@dataclass(frozen=True)
class Comparison:
    """B against A for one pair of variants."""

    a: str  # "run_dir:variant"
    b: str
    differences: list[Difference]


def metrics_for(a: Sequence[DialogueScore], b: Sequence[DialogueScore]) -> list[str]:
    """Headline metrics, debugging ones when either side has debugging, judge ones when both were judged."""
    names = list(HEADLINE)
    if any(s.domain == "debugging" for s in [*a, *b]):
        names += DEBUGGING
    if any(s.judged_turns for s in a) and any(s.judged_turns for s in b):
        names += [f"judge_{d}" for d in DIMENSIONS]
    return names


def _pairs(
    a_dir: Path, b_dir: Path, variant: str | None, variant_a: str | None, variant_b: str | None
) -> list[tuple[str, str]]:
    names_a = [v.name for v in run_config(a_dir).variants]
    names_b = [v.name for v in run_config(b_dir).variants]
    if variant is not None:
        variant_a = variant_b = variant
    if variant_a is not None or variant_b is not None:
        va = variant_a or (names_a[0] if len(names_a) == 1 else None)
        vb = variant_b or (names_b[0] if len(names_b) == 1 else None)
        if va not in names_a or vb not in names_b:
            raise ConfigError(
                f"cannot compare {va!r} of {a_dir} with {vb!r} of {b_dir}",
                f"A has {names_a}, B has {names_b}",
            )
        return [(va, vb)]  # type: ignore[list-item]
    common = [v for v in names_a if v in names_b]
    if common:
        return [(v, v) for v in common]
    if len(names_a) == 1 and len(names_b) == 1:
        return [(names_a[0], names_b[0])]
    raise ConfigError(
        f"{a_dir} and {b_dir} share no variant name",
        f"name them: --variant-a {names_a[0]} --variant-b {names_b[0]}",
    )


def compare_runs(
    a_dir: Path,
    b_dir: Path,
    *,
    variant: str | None = None,
    variant_a: str | None = None,
    variant_b: str | None = None,
    samples: int | None = None,
    seed: int | None = None,
) -> list[Comparison]:
    """Every metric of B against A, per matched variant (see the module docstring).

    `samples` and `seed` default to A's bootstrap settings.
    """
    boot = run_config(a_dir).bootstrap
    samples = samples or boot.samples
    seed = boot.seed if seed is None else seed
    scores_a = group(read_scores(a_dir), "variant")
    scores_b = group(read_scores(b_dir), "variant")
    out = []
    for va, vb in _pairs(a_dir, b_dir, variant, variant_a, variant_b):
        a, b = scores_a.get((va,), []), scores_b.get((vb,), [])
        diffs = [bootstrap_difference(a, b, m, samples=samples, seed=seed) for m in metrics_for(a, b)]
        out.append(Comparison(f"{a_dir}:{va}", f"{b_dir}:{vb}", diffs))
    return out


def render_comparison(comparisons: Sequence[Comparison]) -> str:
    """The comparison as Markdown tables (one per variant pair)."""
    lines: list[str] = []
    for c in comparisons:
        paired = all(d.paired for d in c.differences)
        n = c.differences[0] if c.differences else None
        size = f"{n.n_a} vs {n.n_b} dialogues" if n else "no dialogues"
        lines += [
            f"## B `{c.b}` vs A `{c.a}`",
            "",
            f"{size}, {'paired by problem, profile and seed' if paired else 'unpaired'}; "
            "95% percentile-bootstrap CIs; * = the interval excludes 0.",
            "",
            "| Metric | A | B | B - A [95% CI] | Better |",
            "|---|---:|---:|---:|---|",
        ]
        for d in c.differences:
            metric = METRICS[d.metric]
            better = ""
            if d.significant and d.diff is not None:
                better = "B" if (d.diff > 0) == metric.higher_is_better else "A"
            star = " *" if d.significant else ""
            lines.append(
                f"| {metric.label} | {fmt(d.metric, d.a)} | {fmt(d.metric, d.b)} | "
                f"{fmt_diff(d.metric, d.diff, d.low, d.high)}{star} | {better} |"
            )
        lines.append("")
    return "\n".join(lines)


__all__ = ["Comparison", "compare_runs", "metrics_for", "render_comparison"]
