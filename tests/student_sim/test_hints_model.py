"""One hint written and validated for real by the bundled model (slow: marked `model`)."""

from __future__ import annotations

import pytest

from student_sim.hint_validation import ValidationConfig
from student_sim.hints import HintConfig, HintPipeline, ModelsUsed
from tutor.models import get_chat_model
from tutor.problems import toy_bank
from tutor.sandbox import Sandbox
from tutor.settings import ModelOptions

pytestmark = pytest.mark.model


@pytest.mark.timeout(1800)
def test_bundled_model_writes_and_validates_a_hint_on_a_toy_problem(local_model_path):
    model = get_chat_model("local", ModelOptions(max_tokens=384, n_ctx=4096))
    problem = toy_bank().get("toy-debug-average")
    # The fix-leak check has its own tests on recorded real hints; here the real model's hint goes through
    # validation whatever it says (the bundled model often tells the fix, which the check would refuse first).
    config = HintConfig(validation=ValidationConfig(n=2), max_trials=1, check_leaks=False)
    with Sandbox() as box:
        pipeline = HintPipeline(model, model, box, config, ModelsUsed(hint="local", student="local"))
        record = pipeline.generate(problem)
    assert record.status == "ok" and record.failing_test is not None
    (trial,) = record.trials
    assert trial.error is None and trial.hint and trial.explanation
    validation = trial.validation
    assert validation is not None and 1 <= validation.done_with <= 2
    for attempt in validation.attempts:
        # Every attempt either ran the tests on a program or says why there was none.
        assert (attempt.code_sha is not None) or attempt.error
    assert record.calls.student == len(validation.attempts)
    assert record.calls.hint >= 1
    assert record.accepted == validation.accepted
