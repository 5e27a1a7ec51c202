"""`socratic tutor`: a terminal session follows the same policy settings as the app (composition included)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from socratic_cli import app
from tutor.problems.bank import ProblemBank

runner = CliRunner()


def _session(tmp_path: Path, monkeypatch, composition: str, lines: str) -> tuple[str, Path]:
    replies = tmp_path / "replies.yaml"
    replies.write_text(yaml.safe_dump(["Think about what seven equal prices add up to. What do you get?"]))
    config = tmp_path / "socratic.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n\n[policy]\ncomposition = "{composition}"\n')
    monkeypatch.setenv("TUTOR_CONFIG", str(config))
    result = runner.invoke(app, ["tutor", "-p", "toy-math-pencils", "-m", f"scripted:{replies}"], input=lines)
    assert result.exit_code == 0, result.output
    return result.output, replies


def test_a_terminal_session_uses_the_scaffold_composition_when_set(tmp_path, monkeypatch):
    output, _ = _session(tmp_path, monkeypatch, "scaffold", "7.40\n/quit\n")
    feedback = ProblemBank.load().get("toy-math-pencils").steps[0].wrong_answers[0].feedback  # type: ignore[union-attr]
    assert feedback in output  # the scaffold's own words for this wrong answer
    assert "seven equal prices" not in output  # the scripted model was never asked


def test_a_terminal_session_uses_the_model_when_guided(tmp_path, monkeypatch):
    output, _ = _session(tmp_path, monkeypatch, "guided", "7.40\n/quit\n")
    assert "seven equal prices" in output
