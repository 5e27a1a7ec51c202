"""A one-dialogue eval on the bundled model (slow, CPU): the whole path from config to report."""

from __future__ import annotations

import pytest

from evals.config import EvalConfig
from evals.files import read_scores
from evals.runner import run_eval
from tutor.settings import Settings

pytestmark = pytest.mark.model


@pytest.mark.timeout(1800)
def test_a_one_dialogue_eval_on_the_bundled_model_is_scored_and_reported(local_model_path, tmp_path):
    config = EvalConfig.model_validate(
        {
            "name": "one",
            "problems": ["toy-math-pencils"],
            "profiles": ["grace-strong-all-rounder"],
            "seeds": [0],
            "max_turns": 2,
            "models": {"tutor": "local"},
            "model_options": {"max_tokens": 96, "temperature": 0.2, "n_ctx": 4096},
            "variants": [{"name": "socratic", "tutor": {"reply_max_tokens": 96}}],
            "bootstrap": {"samples": 100},
        }
    )
    result = run_eval(config, tmp_path / "run", settings=Settings.load(), progress=False)
    assert result.generated == 1 and result.errors == 0
    [score] = read_scores(result.run_dir)
    assert score.model_calls >= 1 and score.tutor_model_s > 0 and score.student_turns >= 1
    assert score.guard_telling_turn is None  # the guarded tutor's replies pass its own guard (Telling@k: detector)
    assert (result.run_dir / "report.html").stat().st_size > 10_000
