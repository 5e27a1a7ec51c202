"""The README's benchmark table, generated from bench/results/summary.json (never typed by hand).

Each row names the figures it shows and what produced them, in the `ran on` column:

* `real model`: the bundled model on llama.cpp on this machine (the tutor benchmark feeds it fixed student
  messages);
* `no model`: the sandbox alone, running real programs;
* `scripted`: a scripted model stands in for the model, so the figure is the plumbing's own cost;
* `simulated`: a simulated server (fixed latency, N slots) or a simulated student (seeded success odds).

Run: .venv/bin/python bench/readme_table.py [--write]   (prints the table; --write puts it into README.md
between the `<!-- bench-table -->` markers). Run `bench/summary.py` first after a benchmark.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "bench" / "results" / "summary.json"
README = ROOT / "README.md"
START, END = "<!-- bench-table -->", "<!-- /bench-table -->"
SOURCES = ("real model", "no model", "scripted", "simulated")
_FIELD = re.compile(r"\{([^{}|]+)\|([^{}]*)\}")  # {figure.path|format spec}


@dataclass(frozen=True)
class Row:
    """One line of the table: `label` and `value` are templates over one benchmark's figures (`{path|.1f}`;
    `{machine.load|.0f}` is the machine's load average when the benchmark started)."""

    benchmark: str
    label: str
    value: str
    source: str
    target: str = ""


ROWS = (
    Row("model", "bundled model: load", "{load_s|.1f} s", "real model"),
    Row(
        "model",
        "bundled model: time to first token, turn 5, cached prefix (p50)",
        "{ttft_turn5_cached_prefix_s.p50|.2f} s",
        "real model",
        "< 1.5 s",
    ),
    Row(
        "model", "bundled model: time to first token, turn 5, cold (p50)", "{ttft_turn5_cold_s.p50|.1f} s", "real model"
    ),
    Row(
        "model",
        "bundled model: prompt / decode speed",
        "{prompt_tokens_per_s|.1f} / {decode_tokens_per_s|.1f} tok/s",
        "real model",
    ),
    Row(
        "model",
        "bundled model: decode as a fraction of the memory-bandwidth bound ({read_bandwidth_gb_s|.1f} GB/s, "
        "{threads|.0f} threads)",
        "{decode_fraction_of_bandwidth_bound|.2f}",
        "real model",
        ">= 0.70",
    ),
    Row(
        "sandbox",
        "sandbox: tiny calculation, warm fork server, all isolation layers (p50 / p95)",
        "{configs.warm-forkserver.tiny_ms.p50|.1f} / {configs.warm-forkserver.tiny_ms.p95|.1f} ms",
        "no model",
        "p50 < 50 ms",
    ),
    Row(
        "sandbox",
        "sandbox: same, cold interpreter / bubblewrap (p50)",
        "{configs.cold-process.tiny_ms.p50|.0f} / {configs.cold-bwrap.tiny_ms.p50|.0f} ms",
        "no model",
    ),
    Row(
        "sandbox",
        "sandbox: 10-test run, warm (p50 / p95)",
        "{configs.warm-forkserver.tests10_ms.p50|.0f} / {configs.warm-forkserver.tests10_ms.p95|.0f} ms",
        "no model",
    ),
    Row("tutor", "tutor turn: time spent outside the model", "{outside_model_share|.2%}", "real model", "< 5 %"),
    Row(
        "tutor",
        "tutor turn: turns with 1 / 2 model calls, fast path (rules or execution decided)",
        "{model_calls_per_turn_fast_path.1|.0f} / {model_calls_per_turn_fast_path.2|.0f}",
        "real model",
        "all with 1",
    ),
    Row(
        "tutor",
        "tutor turn: first visible text, turn 2+ (p50, machine load {machine.load|.0f})",
        "{first_visible_s_turn2_on.p50|.0f} s",
        "real model",
        "< 1.5 s",
    ),
    Row(
        "replies",
        "tutor replies read by a teacher ({compositions.scaffold.all.replies|.0f} each): bad, scaffold (the bundled "
        "model's default) / guided composition",
        "{hand_labels.scaffold.bad_share|.1%} / {hand_labels.guided.bad_share|.1%}",
        "real model",
        "<= 2 %",
    ),
    Row(
        "replies",
        "tutor replies: final-answer leaks, scaffold / guided",
        "{compositions.scaffold.all.final_answer_leaks|.0f} / {compositions.guided.all.final_answer_leaks|.0f}",
        "real model",
        "0",
    ),
    Row(
        "pasted",
        "pasted MathDial problems ({problems|.0f}), default k = 3: accepted right / accepted wrong / refused",
        "{rules.k=3 unanimous (default).accepted_correct|.0f} / {rules.k=3 unanimous (default).accepted_wrong|.0f} / "
        "{rules.k=3 unanimous (default).refused|.0f}",
        "real model",
        "wrong <= 2 %",
    ),
    Row(
        "app_load",
        "app, 3 students taking turns: first visible text from turn 2 (p50 / p95; the rules' acknowledgement)",
        "{rows.students3.first_visible_s_from_turn_2.p50|.2f} / {rows.students3.first_visible_s_from_turn_2.p95|.2f} s",
        "real model",
        "p50 < 1.0 s, p95 < 2.0 s",
    ),
    Row(
        "app_load",
        "app, 3 students: turn 1 after reading the problem {rows.students3.read_s_before_turn_1|.0f} s (p95)",
        "{rows.students3.first_visible_s_turn_1.p95|.2f} s",
        "real model",
        "< 2.0 s",
    ),
    Row(
        "app_load",
        "app, 1 / 3 / 8 students: the model's first words from turn 2, waiting in line included (p50)",
        "{rows.students1.model_words_s_from_turn_2.p50|.1f} / {rows.students3.model_words_s_from_turn_2.p50|.1f} / "
        "{rows.students8.model_words_s_from_turn_2.p50|.1f} s",
        "real model",
    ),
    Row(
        "app_load",
        "app, 3 / 8 students: peak RSS (prompt-state budgets at their defaults)",
        "{rows.students3.peak_rss_mb|,.0f} / {rows.students8.peak_rss_mb|,.0f} MB",
        "real model",
        "< 3 GB",
    ),
    Row(
        "app_load",
        "app, 8 students x 5 turns: lost messages / errors",
        "{rows.students8.lost_messages|.0f} / {rows.students8.errors|.0f}",
        "real model",
        "0",
    ),
    Row(
        "hints",
        "hints: calls per hint, early stop vs all n (GPT4Hints rule, n = 10; scripted hint writer, simulated student)",
        "{pipeline.gpt4hints.early.calls_per_hint|.1f} vs {pipeline.gpt4hints.fixed.calls_per_hint|.1f}",
        "simulated",
        "fewer",
    ),
    Row(
        "hints",
        "hints: calls per hint, early stop vs all n, replayed on {real.hints|.0f} hints a real model validated "
        "(n = {real.n|.0f})",
        "{real.early_calls_per_hint|.1f} vs {real.fixed_calls_per_hint|.1f}",
        "real model",
        "fewer",
    ),
    Row(
        "hint_ladders",
        "hint ladders, bank ({bank_run.bugs_with_a_task|.0f} bugs): bugs with an accepted pointer / conceptual / "
        "next-step hint",
        "{bank_run.accepted_per_level.pointer|.0f} / {bank_run.accepted_per_level.conceptual|.0f} / "
        "{bank_run.accepted_per_level.next_step|.0f}",
        "real model",
    ),
    Row(
        "hint_ladders",
        "hint ladders, bank: hints that tell the fix by hand label, accepted by the run / kept by the current checks",
        "{bank_run.hand_labels.tells|.0f} of {bank_run.hand_labels.accepted|.0f} / "
        "{bank_run.hand_labels.tutor_file.tells|.0f} of {bank_run.hand_labels.tutor_file.accepted|.0f}",
        "real model",
        "0 kept",
    ),
    Row(
        "hint_ladders",
        "hint ladders, bank: kept hints a teacher calls appropriate, all levels / next steps, the level the "
        "tutor's file keeps (hand labels)",
        "{bank_run.hand_labels.tutor_file.share_appropriate|.0%} / "
        "{bank_run.hand_labels.tutor_file.per_level.next_step.share_appropriate|.0%}",
        "real model",
    ),
    Row(
        "hint_ladders",
        "fix-leak check on the bank run's {bank_run.hand_labels.check_on_written_hints.labelled|.0f} hints, "
        "as it was at run time: precision / recall (hand labels)",
        "{bank_run.hand_labels.check_on_written_hints.at_run_time.precision|.2f} / "
        "{bank_run.hand_labels.check_on_written_hints.at_run_time.recall|.2f}",
        "real model",
    ),
    Row(
        "hint_ladders",
        "hint ladders, bank: model calls per accepted hint, early stop vs fixed n (n = 3)",
        "{bank_run.calls_per_accepted_hint.early_stop|.1f} vs {bank_run.calls_per_accepted_hint.fixed_n|.1f}",
        "real model",
        "fewer",
    ),
    Row(
        "generation",
        "generation: dialogues per hour, plumbing only (scripted tutor model)",
        "{overhead.dialogues_per_hour|,.0f}",
        "scripted",
    ),
    Row(
        "generation",
        "generation: speedup against a server with 2 / 4 / 8 slots "
        "(simulated server, {slots.latency_s|.1f} s per request)",
        "{slots.rows.slots2.speedup|.1f}x / {slots.rows.slots4.speedup|.1f}x / {slots.rows.slots8.speedup|.1f}x",
        "simulated",
    ),
    Row(
        "generation",
        "generation: dialogues per hour, bundled model as the tutor, rule-based student",
        "{bundled.dialogues_per_hour|.0f}",
        "real model",
    ),
)


class MissingFigure(LookupError):
    """A row names a figure the summary does not have (a benchmark was renamed, or not run)."""


def _figures(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per benchmark: its figures, plus `machine.load` (older results call it `load_avg_1m_at_start`)."""
    out = {}
    for b in summary["benchmarks"]:
        machine = b.get("machine", {})
        load = machine.get("load_avg_1m", machine.get("load_avg_1m_at_start"))
        out[b["benchmark"]] = {**b["figures"], "machine.load": load}
    return out


def render(template: str, figures: dict[str, Any], benchmark: str) -> str:
    """A template with each `{path|spec}` replaced by the formatted figure."""

    def one(match: re.Match[str]) -> str:
        path, spec = match.group(1), match.group(2)
        if figures.get(path) is None:
            raise MissingFigure(f"bench/results/summary.json: benchmark `{benchmark}` has no figure `{path}`")
        return format(figures[path], spec)

    return _FIELD.sub(one, template)


def table(summary: dict[str, Any], rows: tuple[Row, ...] = ROWS) -> str:
    """The Markdown table of `rows` over `summary`."""
    by_benchmark = _figures(summary)
    lines = ["| figure | value | ran on | target |", "|---|---:|---|---|"]
    for row in rows:
        if row.source not in SOURCES:
            raise ValueError(f"row {row.label!r}: source must be one of {SOURCES}")
        figures = by_benchmark.get(row.benchmark)
        if figures is None:
            raise MissingFigure(f"bench/results/summary.json has no benchmark `{row.benchmark}`")
        label, value = render(row.label, figures, row.benchmark), render(row.value, figures, row.benchmark)
        lines.append(f"| {label} | {value} | {row.source} | {row.target} |")
    return "\n".join(lines) + "\n"


def replace_between_markers(text: str, generated: str) -> str:
    """`text` with what lies between the markers replaced by `generated`."""
    head, found, rest = text.partition(START + "\n")
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"README.md has no {START} ... {END} section")
    return f"{head}{START}\n{generated}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", type=Path, default=SUMMARY)
    parser.add_argument("--write", action="store_true", help="put the table into README.md")
    args = parser.parse_args(argv)
    try:
        generated = table(json.loads(args.summary.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, MissingFigure) as exc:
        print(f"cannot build the table: {exc}", file=sys.stderr)
        return 1
    if args.write:
        README.write_text(replace_between_markers(README.read_text(encoding="utf-8"), generated), encoding="utf-8")
        print(f"table -> {README}", file=sys.stderr)
    else:
        print(generated, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
