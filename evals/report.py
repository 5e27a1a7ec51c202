"""The run report: `report.md` (with `plots/*.png` and `examples/`) and a self-contained `report.html`.

Sections: the run (models, machine, size), headline metrics per variant, the same per domain, debugging
metrics, Success@k / Telling@k curves (Telling from the independent detector), leak-rate and
calculation-accuracy bars, the bad-reply audit, the simulated students' fidelity card, the tutor's
decisions against Bridge's expert labels, the ablation table (each variant against the reference, paired
bootstrap 95% CIs), judge labels with the judge's calibration when the run was judged, and example
dialogues per variant. Real public files (MathDial, Bridge) are read from `TUTOR_REALDATA_DIR`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.aggregate import DEBUGGING, HEADLINE, METRICS, bootstrap_difference, group
from evals.config import EvalConfig
from evals.files import read_dialogues, read_judge, read_manifest
from evals.labels import DIMENSIONS, GOOD
from evals.plots import curves_png, outcomes_png, rates_png
from evals.render import (
    Block,
    Example,
    Heading,
    Image,
    Link,
    Para,
    Table,
    example_markdown,
    to_html,
    to_markdown,
)
from evals.report_sections import (
    audit_section,
    bridge_section,
    fidelity_section,
    judge_calibration_section,
    realdata_dir,
    telling_note,
)
from evals.scores import DialogueScore, TurnScore
from student_sim.dialogue import Dialogue
from student_sim.gen_spec import given_fields
from tutor.files import atomic_write_text

ABLATION_METRICS = ("success", "solve_rate", "leak_rate", "question_share", "calc_accuracy", "mastery_gain")


def fmt(metric: str, value: float | None) -> str:
    """A metric value as the tables show it."""
    if value is None:
        return "-"
    if METRICS[metric].percent:
        return f"{100 * value:.0f}%"
    return f"{value:.2f}"


def fmt_diff(metric: str, diff: float | None, low: float | None, high: float | None) -> str:
    """A difference with its interval: percentage points for percentages."""
    if diff is None:
        return "-"
    has_ci = low is not None and high is not None
    if METRICS[metric].percent:
        ci = f" [{100 * low:+.0f}, {100 * high:+.0f}]" if has_ci else ""  # type: ignore[operator]
        return f"{100 * diff:+.0f}pp{ci}"
    ci = f" [{low:+.2f}, {high:+.2f}]" if has_ci else ""
    return f"{diff:+.2f}{ci}"


def _metric_table(
    rows: Sequence[tuple[list[str], Sequence[DialogueScore]]], names: Sequence[str], first: list[str]
) -> Table:
    return Table(
        header=[*first, "n", *(METRICS[m].label for m in names)],
        rows=[[*keys, str(len(items)), *(fmt(m, METRICS[m].fn(items)) for m in names)] for keys, items in rows],
        align_right_from=len(first),
    )


def _pick_examples(scores: Sequence[DialogueScore], n: int) -> list[DialogueScore]:
    """Up to n dialogues that show different things: a leak, a solve, one that got nowhere, then the rest."""
    picked: list[DialogueScore] = []
    for test in (lambda s: s.leaked, lambda s: s.solved, lambda s: s.success_turn is None, lambda s: True):
        for s in scores:
            if len(picked) >= n:
                return picked
            if test(s) and s not in picked:
                picked.append(s)
                break
    for s in scores:
        if len(picked) >= n:
            break
        if s not in picked:
            picked.append(s)
    return picked


def _note(turn: TurnScore | None) -> str:
    if turn is None:
        return ""
    notes = []
    if turn.tells:
        notes.append("TELLS: " + "; ".join(turn.tell_reasons))
    if turn.numbers_wrong:
        notes.append("unbacked numbers: " + ", ".join(turn.numbers_wrong))
    if turn.targets_open_bug is not None:
        notes.append("targets an open bug" if turn.targets_open_bug else "no open bug targeted")
    if turn.judge is not None:
        notes.append("judge: " + ", ".join(f"{d}={getattr(turn.judge, d)}" for d in DIMENSIONS))
    elif turn.judge_error:
        notes.append(turn.judge_error)
    return "; ".join(notes)


def _example(score: DialogueScore, dialogue: Dialogue) -> Example:
    by_index = {t.index: t for t in score.turns}
    lines = []
    for turn in dialogue.turns:
        who = "Tutor" if turn.role == "tutor" else "Student"
        note = _note(by_index.get(turn.index)) if turn.role == "tutor" else ""
        lines.append((who, turn.text, turn.code, note))
    outcome = (
        f"{dialogue.outcome.status}: {dialogue.outcome.reason}. Success at k={score.success_turn}, "
        f"telling at k={score.telling_turn}."
    )
    return Example(
        anchor=f"ex-{score.variant}-{score.dialogue_id}",
        title=f"{score.variant}: {score.problem_id} x {score.profile_id} (seed {score.seed})",
        md_path=f"examples/{score.variant}/{score.dialogue_id}.md",
        lines=lines,
        outcome=outcome,
    )


def build_report(
    run_dir: Path,
    config: EvalConfig,
    scores: Sequence[DialogueScore],
    summary: dict[str, Any],
    data_dir: Path | None = None,
) -> tuple[list[Block], list[Example]]:
    """The report's blocks (and the examples among them); `data_dir` holds the real public files the run is
    set beside (default: `$TUTOR_REALDATA_DIR`)."""
    variants = [v.name for v in config.variants if v.name in summary["variants"]]
    by_variant = group(scores, "variant")
    example_scores = {v: _pick_examples(by_variant.get((v,), []), config.examples_per_variant) for v in variants}
    blocks = _run_section(read_manifest(run_dir), config, scores, summary)
    blocks += _results_sections(scores, variants, example_scores)
    blocks += _curves_section(config, summary, variants)
    by_variant_dialogues = {v: read_dialogues(run_dir, v) for v in variants}
    data_dir = realdata_dir(data_dir)
    blocks += audit_section(run_dir, by_variant_dialogues)
    blocks += fidelity_section(run_dir, by_variant_dialogues, data_dir)
    blocks += bridge_section(run_dir, data_dir)
    blocks += _ablation(config, scores, variants)
    blocks += _judge_section(scores, variants)
    judges = sorted({r.judge for r in read_judge(run_dir)}) if any(s.judged_turns for s in scores) else []
    blocks += judge_calibration_section(judges)
    examples = []
    for v in variants:
        dialogues = {d.id: d for d in by_variant_dialogues[v]}
        examples += [_example(s, dialogues[s.dialogue_id]) for s in example_scores[v] if s.dialogue_id in dialogues]
    blocks += examples
    return blocks, examples


def _run_section(
    manifest: dict[str, Any], config: EvalConfig, scores: Sequence[DialogueScore], summary: dict[str, Any]
) -> list[Block]:
    """The title, what ran on what, and the dialogues that failed to run."""
    models = manifest.get("models", {})
    machine = manifest.get("machine", {})
    blocks: list[Block] = [
        Heading(f"Eval report: {config.name}", 1),
        Para(
            f"Run `{manifest.get('run_id')}`, status {manifest.get('status')}; {len(scores)} dialogues "
            f"({len(config.seeds)} seed(s), at most {config.max_turns} student turns, student policy "
            f"`{config.student_policy}`). Machine: {machine.get('cpu', '?')}, "
            f"{machine.get('cores', '?')} cores."
        ),
        Para(
            "Tutor models: "
            + ", ".join(f"{v} `{m}`" for v, m in models.get("tutor", {}).items())
            + (f"; judge `{models['judge']}`" if models.get("judge") else "")
            + "."
        ),
    ]
    errors = {v: n for v, n in summary.get("errors", {}).items() if n}
    if errors:
        blocks.append(
            Para(
                "Dialogues that failed to run (see variants/<name>/errors.jsonl): "
                + ", ".join(f"{v}: {n}" for v, n in errors.items())
            )
        )
    return blocks


def _results_sections(
    scores: Sequence[DialogueScore], variants: list[str], example_scores: dict[str, list[DialogueScore]]
) -> list[Block]:
    """The headline metrics per variant (with a link to its first example), per domain, and for debugging."""
    by_variant = group(scores, "variant")
    first_example = {v: picks[0] for v, picks in example_scores.items() if picks}
    overview = _metric_table([([v], by_variant.get((v,), [])) for v in variants], HEADLINE, ["Variant"])
    if first_example:
        overview.header.append("Example")
        for row, v in zip(overview.rows, variants, strict=True):
            s = first_example.get(v)
            row.append(
                Link(s.dialogue_id[:8], f"examples/{v}/{s.dialogue_id}.md", f"#ex-{v}-{s.dialogue_id}") if s else "-"
            )
    blocks: list[Block] = [Heading("Results per tutor variant"), overview]
    domains = group(scores, "domain", "variant")
    blocks += [
        Heading("Results per domain"),
        _metric_table([([d, v], items) for (d, v), items in sorted(domains.items())], HEADLINE, ["Domain", "Variant"]),
    ]
    debugging = [s for s in scores if s.domain == "debugging"]
    if debugging:
        rows = [([v], items) for (v,), items in group(debugging, "variant").items()]
        blocks += [Heading("Debugging"), _metric_table(rows, DEBUGGING, ["Variant"])]
    return blocks


def _curves_section(config: EvalConfig, summary: dict[str, Any], variants: list[str]) -> list[Block]:
    """Success@k and Telling@k (plot and table), and the rate plots."""
    k_header = [f"k={k}" for k in range(1, config.max_turns + 1)]
    return [
        Heading("Success@k and Telling@k"),
        Para(
            "Success@k: the student stated the final answer (or the code passed all tests) within k "
            "student turns. Telling@k: the tutor stated the answer or a fix before the student did, within k "
            "turns, as read by the telling detector (`student_sim/telling.py`), which shares no code with the tutor's "
            "leak guard; the guard's own verdict stays in the records as data." + telling_note()
        ),
        Image("plots/curves.png", "Success@k and Telling@k", curves_png(summary, variants)),
        Table(
            ["Variant", "Curve", *k_header],
            [
                [v, name, *(f"{100 * x:.0f}%" for x in summary["variants"][v][key])]
                for v in variants
                for name, key in (("Success@k", "success_at_k"), ("Telling@k", "telling_at_k"))
            ],
            align_right_from=2,
        ),
        Heading("Leak rate and calculation accuracy"),
        Image("plots/rates.png", "Leak rate and calculation accuracy", rates_png(summary, variants)),
        Image("plots/outcomes.png", "Solved without telling and question share", outcomes_png(summary, variants)),
    ]


def _ablation(config: EvalConfig, scores: Sequence[DialogueScore], variants: list[str]) -> list[Block]:
    reference = config.reference_variant
    others = [v for v in variants if v != reference]
    if reference not in variants or not others:
        return []
    by_variant = group(scores, "variant")
    ref = by_variant[(reference,)]
    rows: list[list[str | Link]] = [[reference, "(reference)", *(fmt(m, METRICS[m].fn(ref)) for m in ABLATION_METRICS)]]
    for v in others:
        cells = []
        description = config.variant(v).description or ", ".join(
            f"{k}={val}" for k, val in given_fields(config.variant(v).tutor).items()
        )
        for m in ABLATION_METRICS:
            d = bootstrap_difference(
                ref, by_variant[(v,)], m, samples=config.bootstrap.samples, seed=config.bootstrap.seed
            )
            cells.append(f"{fmt(m, d.b)} ({fmt_diff(m, d.diff, d.low, d.high)})")
        rows.append([v, description or "-", *cells])
    return [
        Heading("Ablations and baselines"),
        Para(
            f"Each variant against `{reference}`: value (difference [95% CI]), percentile bootstrap over "
            f"dialogues paired by problem, profile and seed ({config.bootstrap.samples} resamples, seed "
            f"{config.bootstrap.seed}). pp = percentage points."
        ),
        Table(["Variant", "Change", *(METRICS[m].label for m in ABLATION_METRICS)], rows, align_right_from=2),
    ]


def _judge_section(scores: Sequence[DialogueScore], variants: list[str]) -> list[Block]:
    if not any(s.judged_turns for s in scores):
        return []
    by_variant = group(scores, "variant")
    # A judge may label only some dimensions (the learned judge labels four): show those it labelled.
    labelled = [d for d in DIMENSIONS if METRICS[f"judge_{d}"].fn(scores) is not None]
    rows: list[list[str | Link]] = []
    for v in variants:
        items = by_variant.get((v,), [])
        judged = sum(s.judged_turns for s in items)
        failed = sum(1 for s in items for t in s.turns if t.judge is None and t.judge_error)
        rows.append(
            [v, str(judged), str(failed), *(fmt(f"judge_{d}", METRICS[f"judge_{d}"].fn(items)) for d in labelled)]
        )
    return [
        Heading("Judge labels (MRBench dimensions)"),
        Para(
            "Share of judged tutor turns with the good label of each dimension the judge labels ("
            + ", ".join(f"{d}: {GOOD[d]}" for d in labelled)
            + "). How far to trust each: the judge's calibration below."
        ),
        Table(["Variant", "Judged", "Unreadable", *labelled], rows),
    ]


def write_report(
    run_dir: Path,
    config: EvalConfig,
    scores: Sequence[DialogueScore],
    summary: dict[str, Any],
    data_dir: Path | None = None,
) -> tuple[Path, Path]:
    """Write report.md (+ plots/, examples/) and report.html into the run folder."""
    blocks, examples = build_report(run_dir, config, scores, summary, data_dir)
    for block in blocks:
        if isinstance(block, Image):
            path = run_dir / block.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(block.png)
    for example in examples:
        atomic_write_text(run_dir / example.md_path, example_markdown(example))
    md = run_dir / "report.md"
    html = run_dir / "report.html"
    atomic_write_text(md, to_markdown(blocks))
    atomic_write_text(html, to_html(f"Eval report: {config.name}", blocks))
    return md, html


__all__ = ["build_report", "fmt", "fmt_diff", "write_report"]
