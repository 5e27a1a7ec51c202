from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from socratic_cli import app
from tutor.problems.bank import toy_bank
from tutor.problems.schema import render_json_schema

FIXTURES = Path(__file__).parents[1] / "fixtures" / "gsm8k"
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["problems", *args])


def test_list_filters_by_domain():
    result = _run("list", "--domain", "debugging")
    assert result.exit_code == 0
    assert "toy-debug-max-index" in result.stdout and "toy-math-pencils" not in result.stdout


def test_show_prints_the_problem_as_loadable_yaml():
    result = _run("show", "toy-math-pencils")
    assert result.exit_code == 0
    body = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("#"))
    assert yaml.safe_load(body)["id"] == "toy-math-pencils"


def test_validate_passes_good_files_and_fails_bad_ones(tmp_path):
    good = toy_bank().path_of("toy-debug-average")
    result = _run("validate", str(good))
    assert result.exit_code == 0 and "ok" in result.stdout
    bad = tmp_path / "toy-debug-average.yaml"
    bad.write_text(good.read_text().replace("total += n", "total -= n"), encoding="utf-8")
    result = _run("validate", str(good), str(bad))
    assert result.exit_code == 1
    assert f"FAIL  {bad}" in result.stdout and "fixed_code passes every test" in result.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\ndomain: math\n", encoding="utf-8")
    result = _run("validate", "--no-run", str(broken))
    assert result.exit_code == 1 and "schema:" in result.stdout


def test_schema_writes_the_json_schema(tmp_path):
    target = tmp_path / "s.json"
    assert _run("schema", "--output", str(target)).exit_code == 0
    assert target.read_text() == render_json_schema()
    assert _run("schema", "--check", "--output", str(target)).exit_code == 0
    target.write_text("{}")
    assert _run("schema", "--check", "--output", str(target)).exit_code == 1


def test_import_reports_counts_and_skipped_records(tmp_path):
    out = tmp_path / "out.jsonl"
    result = _run("import", "gsm8k", str(FIXTURES / "invalid.jsonl"), str(out), "--skip-invalid")
    assert result.exit_code == 0
    assert "1 added" in result.stdout and "skipped 4 record(s)" in result.stdout
    assert "invalid.jsonl:4" in result.stdout


def test_import_without_skip_fails_with_a_clear_error(tmp_path, capsys):
    from socratic_cli import main

    assert main(["problems", "import", "gsm8k", str(FIXTURES / "invalid.jsonl"), str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "invalid.jsonl:2: field `answer`" in err and "--skip-invalid" in err
    assert main(["problems", "import", "nope", str(FIXTURES / "main.jsonl"), str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "known formats:" in err and "gsm8k" in err
