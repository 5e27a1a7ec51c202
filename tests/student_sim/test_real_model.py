"""One short dialogue with the real bundled model as the tutor and as the student's voice (slow, CPU)."""

from __future__ import annotations

import pytest

from student_sim.dialogue import Dialogue
from student_sim.profiles import get_profile
from student_sim.roles import detect_role_break
from student_sim.runner import DialogueLimits, RunInfo, run_dialogue
from student_sim.student import StudentSimulator
from tutor.agent import TutorAgent, TutorConfig
from tutor.models import get_chat_model
from tutor.problems import toy_bank
from tutor.problems.answers import Verdict, check_step
from tutor.settings import ModelOptions

pytestmark = pytest.mark.model


@pytest.mark.timeout(1800)
def test_bundled_model_tutors_an_llm_voiced_student_that_stays_in_role_and_in_character(local_model_path, sandbox):
    model = get_chat_model("local", ModelOptions(max_tokens=96, temperature=0.2, seed=0, n_ctx=4096))
    problem = toy_bank().get("toy-math-pencils")
    profile = get_profile("ava-adds-instead")
    tutor = TutorAgent(problem, model, sandbox, TutorConfig(reply_max_tokens=96))
    student = StudentSimulator(problem, profile, policy="llm", model=model, max_voice_retries=1)
    dialogue = run_dialogue(
        problem,
        profile,
        tutor=tutor,
        student=student,
        seed=0,
        limits=DialogueLimits(max_turns=2),
        info=RunInfo(tutor_model="local", student_model="local", student_policy="llm"),
    )
    assert dialogue.outcome.student_turns >= 1 and not dialogue.outcome.leaked
    steps = {s.id: s for s in problem.steps}
    for turn in dialogue.turns:
        record = turn.student_turn()
        if record is None:
            continue
        assert record.voice.policy == "llm" and record.voice.model_calls
        assert detect_role_break(turn.text) is None, turn.text
        if record.intent.kind == "answer":
            # Whether the model's words or the rule fallback went out, the tutor reads what the student meant.
            verdict = check_step(turn.text, steps[record.intent.node_ref]).verdict
            assert (verdict is Verdict.CORRECT) == bool(record.intent.correct), (turn.text, record.intent)
    assert Dialogue.model_validate_json(dialogue.to_json_line()) == dialogue
