"""Collect the figures of every benchmark into one summary -> bench/results/summary.json, and print a
Markdown table of the headline figures with the machine each benchmark ran on. The README's table is made
from the summary by bench/readme_table.py.

Every `bench/results/*.json` written by a bench script (`bench.common.write`) is read; all its numeric
figures go into the JSON summary, flattened to dotted paths (`configs.warm-forkserver.tiny_ms.p50`), and
the headline ones (per benchmark, below; the first few figures for a benchmark not listed) into the table.

Run: .venv/bin/python bench/summary.py [--results DIR]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from pathlib import Path
from typing import Any

from tutor.files import write_json

RESULTS = Path(__file__).resolve().parent / "results"
SUMMARY = "summary.json"
_SKIP = {"benchmark", "when", "machine"}
_ROW_KEYS = ("config", "name", "backend", "mode", "slots", "students")
HEADLINES: dict[str, tuple[str, ...]] = {
    "model": (
        "load_s",
        "ttft_turn5_cold_s.p50",
        "ttft_turn5_cached_prefix_s.p50",
        "prompt_tokens_per_s",
        "decode_tokens_per_s",
        "decode_fraction_of_bandwidth_bound",
    ),
    "tutor": (
        "load_s",
        "first_visible_s_turn2_on.p50",
        "total_turn_s.p50",
        "outside_model_share",
        "leaks",
        "fallbacks",
    ),
    "sandbox": ("configs.*.tiny_ms.p50", "configs.*.tests10_ms.p50"),
    "generation": (
        "overhead.dialogues_per_hour",
        "overhead.tutor_turn_s.p50",
        "slots.sequential.dialogues_per_hour",
        "slots.rows.*.speedup",
    ),
    "app_load": (
        "rows.students*.first_visible_s_from_turn_2.p50",
        "rows.students*.first_visible_s_from_turn_2.p95",
        "rows.students*.model_words_s_from_turn_2.p50",
        "rows.students*.lost_messages",
        "rows.students*.peak_rss_mb",
    ),
    "pasted": (
        "problems",
        "rules.k=3 unanimous (default).accepted_correct",
        "rules.k=3 unanimous (default).accepted_wrong",
        "rules.k=3 unanimous (default).refused",
        "rules.k=1.accepted_correct",
        "rules.k=1.accepted_wrong",
    ),
    "replies": (
        "compositions.*.all.replies",
        "compositions.*.all.failing_any_audit_rule",
        "compositions.*.all.final_answer_leaks",
        "compositions.*.all.fallback_share",
        "hand_labels.*.bad_share",
    ),
    "hints": (
        "pipeline.*.early.calls_per_accepted_hint",
        "pipeline.*.saving_vs_fixed",
        "pipeline.*.saving_vs_paper",
    ),
}
FALLBACK_FIGURES = 8


def _row_key(item: dict[str, Any], index: int) -> str:
    for key in _ROW_KEYS:
        if key in item and isinstance(item[key], str | int | float) and not isinstance(item[key], bool):
            value = item[key]
            return str(value) if isinstance(value, str) else f"{key}{value}"
    return str(index)


def flatten(data: Any, prefix: str = "") -> dict[str, float]:
    """Every number in `data` (booleans aside) by its dotted path; list items of objects are named by
    their `config`/`name`/`backend`/`mode` field (or `slots4`), else by position."""
    out: dict[str, float] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if not prefix and key in _SKIP:
                continue
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            name = _row_key(value, i) if isinstance(value, dict) else str(i)
            out.update(flatten(value, f"{prefix}{name}."))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        out[prefix.rstrip(".")] = data
    return out


def headline(name: str, figures: dict[str, float]) -> dict[str, float]:
    """The figures that go into the table."""
    patterns = HEADLINES.get(name)
    if patterns is None:
        plain = [k for k in figures if not k.endswith((".n", ".p95"))]
        return {k: figures[k] for k in plain[:FALLBACK_FIGURES]}
    return {k: v for pattern in patterns for k, v in figures.items() if fnmatch.fnmatchcase(k, pattern)}


def collect(results: Path = RESULTS) -> dict[str, Any]:
    """The summary of every result file in `results` (not written; see `main`)."""
    benchmarks = []
    for path in sorted(results.glob("*.json")):
        if path.name == SUMMARY:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            print(f"skipping {path.name}: {exc}", file=sys.stderr)
            continue
        if not isinstance(data, dict):
            continue
        name = str(data.get("benchmark") or path.stem)
        figures = flatten(data)
        benchmarks.append(
            {
                "benchmark": name,
                "file": path.name,
                "when": data.get("when"),
                "machine": data.get("machine", {}),
                "headline": headline(name, figures),
                "figures": figures,
            }
        )
    return {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "benchmarks": benchmarks}


def _value(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _load(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"


def markdown(summary: dict[str, Any]) -> str:
    """The headline table and the machines table, as Markdown."""
    lines = ["| Benchmark | Figure | Value |", "|---|---|---:|"]
    for b in summary["benchmarks"]:
        lines += [f"| {b['benchmark']} | `{k}` | {_value(v)} |" for k, v in b["headline"].items()]
    lines += [
        "",
        "| Benchmark | When | CPU | Cores | Memory GiB | Python | Load (1 min) at start |",
        "|---|---|---|---:|---:|---|---:|",
    ]
    for b in summary["benchmarks"]:
        m = b["machine"]
        load = m.get("load_avg_1m", m.get("load_avg_1m_at_start"))  # the older results name it so
        lines.append(
            f"| {b['benchmark']} | {b['when'] or '-'} | {m.get('cpu', '-')} | {m.get('cores', '-')} | "
            f"{m.get('memory_gib', '-')} | {m.get('python', '-')} | {_load(load)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of benchmark result JSON files")
    args = parser.parse_args(argv)
    summary = collect(args.results)
    out = args.results / SUMMARY
    write_json(out, summary)
    print(markdown(summary))
    print(f"{len(summary['benchmarks'])} benchmark(s) -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
