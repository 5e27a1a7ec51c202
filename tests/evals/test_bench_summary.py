"""bench/summary.py: every benchmark result in one summary with its machine, and the README table."""

from __future__ import annotations

import json

from bench.summary import flatten, main

MACHINE = {"cpu": "Test CPU", "cores": 2, "memory_gib": 8.0, "python": "3.11.7", "load_avg_1m_at_start": 0.5}


def test_figures_flatten_to_dotted_paths_with_list_rows_named_by_their_config():
    data = {
        "benchmark": "x",
        "machine": MACHINE,
        "load_s": 1.5,
        "ok": True,
        "unit": "ms",
        "configs": [
            {"config": "warm", "tiny_ms": {"n": 3, "p50": 2.0}},
            {"slots": 4, "speedup": 3.1},
            {"v": 7},
        ],
    }
    assert flatten(data) == {
        "load_s": 1.5,
        "configs.warm.tiny_ms.n": 3,
        "configs.warm.tiny_ms.p50": 2.0,
        "configs.slots4.slots": 4,
        "configs.slots4.speedup": 3.1,
        "configs.2.v": 7,
    }


def test_summary_collects_every_result_file_with_its_machine_and_prints_a_table(tmp_path, capsys):
    sandbox = {
        "benchmark": "sandbox",
        "when": "2026-01-01T00:00:00+0000",
        "machine": MACHINE,
        "configs": [{"config": "warm-forkserver", "tiny_ms": {"n": 40, "p50": 21.0, "p95": 27.0}}],
    }
    other = {
        "benchmark": "new-bench",
        "when": "2026-01-02T00:00:00+0000",
        "machine": {**MACHINE, "cores": 16},
        "throughput_per_s": 1234.5,
        "latency_s": {"n": 9, "p50": 0.25, "p95": 0.5},
    }
    (tmp_path / "sandbox.json").write_text(json.dumps(sandbox))
    (tmp_path / "new-bench.json").write_text(json.dumps(other))
    (tmp_path / "broken.json").write_text("{not json")
    assert main(["--results", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    by_name = {b["benchmark"]: b for b in summary["benchmarks"]}
    assert set(by_name) == {"sandbox", "new-bench"}
    assert by_name["sandbox"]["headline"] == {"configs.warm-forkserver.tiny_ms.p50": 21.0}
    assert by_name["new-bench"]["headline"] == {"throughput_per_s": 1234.5, "latency_s.p50": 0.25}
    assert by_name["new-bench"]["figures"]["latency_s.p95"] == 0.5 and by_name["new-bench"]["machine"]["cores"] == 16
    table = capsys.readouterr().out
    assert "| sandbox | `configs.warm-forkserver.tiny_ms.p50` | 21 |" in table
    assert "| new-bench | `throughput_per_s` | 1,234 |" in table
    assert "| new-bench | 2026-01-02T00:00:00+0000 | Test CPU | 16 | 8.0 | 3.11.7 | 0.50 |" in table
    # Running it again does not read its own summary as a benchmark.
    main(["--results", str(tmp_path)])
    assert len(json.loads((tmp_path / "summary.json").read_text())["benchmarks"]) == 2
