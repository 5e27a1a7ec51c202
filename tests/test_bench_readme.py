"""The README's benchmark table is the one bench/readme_table.py makes from bench/results/summary.json."""

from __future__ import annotations

import json

import pytest

from bench.readme_table import END, README, ROWS, SOURCES, START, SUMMARY, MissingFigure, Row, table

SMALL = {
    "benchmarks": [
        {
            "benchmark": "model",
            "machine": {"load_avg_1m_at_start": 2.4},
            "figures": {"load_s": 1.25, "ttft.p50": 0.5},
        }
    ]
}


def test_the_readme_table_is_generated_from_the_committed_summary():
    readme = README.read_text(encoding="utf-8")
    shown = readme.split(START + "\n", 1)[1].split(END, 1)[0]
    assert shown == table(json.loads(SUMMARY.read_text(encoding="utf-8"))), "run bench/readme_table.py --write"


def test_every_row_says_what_produced_its_figures():
    assert ROWS and all(row.source in SOURCES for row in ROWS)
    with pytest.raises(ValueError, match="source must be one of"):
        table(SMALL, (Row("model", "load", "{load_s|.1f} s", "measured"),))


def test_figures_and_the_machine_load_are_filled_in():
    rows = (Row("model", "load (machine load {machine.load|.0f})", "{load_s|.1f} s / {ttft.p50|.2f} s", "real model"),)
    assert table(SMALL, rows).splitlines()[-1] == "| load (machine load 2) | 1.2 s / 0.50 s | real model |  |"


def test_a_figure_the_summary_lacks_is_an_error_naming_it():
    with pytest.raises(MissingFigure, match="no figure `decode_tokens_per_s`"):
        table(SMALL, (Row("model", "decode", "{decode_tokens_per_s|.1f}", "real model"),))
    with pytest.raises(MissingFigure, match="no benchmark `sandbox`"):
        table(SMALL, (Row("sandbox", "tiny", "{configs.tiny|.1f}", "no model"),))
