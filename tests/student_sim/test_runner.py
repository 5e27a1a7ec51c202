"""run_dialogue with the real tutor agent (scripted model) and simulated students: outcomes and filters."""

from __future__ import annotations

import pytest

from student_sim.checks import quality_check
from student_sim.dialogue import Dialogue, DialogueTurn, Outcome
from student_sim.profiles import StudentProfile, get_profile
from student_sim.runner import DialogueLimits, RunInfo, run_dialogue
from student_sim.student import StudentSimulator
from tests.student_sim.conftest import tutor_model
from tutor.agent import TutorAgent, TutorConfig
from tutor.models.scripted import ScriptedChatModel
from tutor.problems import toy_bank


def run(problem_id, profile, sandbox, *, seed=0, model=None, config=None, student=None, limits=None) -> Dialogue:
    problem = toy_bank().get(problem_id)
    agent = TutorAgent(problem, model or tutor_model(), sandbox, config or TutorConfig())
    student = student or StudentSimulator(problem, profile)
    info = RunInfo(tutor_model="scripted", config={"test": True})
    return run_dialogue(problem, profile, tutor=agent, student=student, seed=seed, limits=limits, info=info)


def strong() -> StudentProfile:
    return StudentProfile(id="strong", name="Sol", persona="Knows it all.", default_mastery=1.0, question_rate=0.0)


def weak() -> StudentProfile:
    return StudentProfile(
        id="weak", name="Wim", persona="Lost.", default_mastery=0.0, learning_rate=0.0, question_rate=0.0
    )


@pytest.mark.parametrize(
    "problem_id", ["toy-math-pencils", "toy-physics-car-distance", "toy-debug-average", "toy-debug-max-index"]
)
def test_a_student_who_knows_everything_solves_each_kind_of_problem(problem_id, sandbox):
    dialogue = run(problem_id, strong(), sandbox)
    assert dialogue.outcome.status == "solved", dialogue.outcome.reason
    assert dialogue.outcome.solved and not dialogue.outcome.leaked
    assert dialogue.quality.passed, dialogue.quality.details
    tutor_turns = [t for t in dialogue.turns if t.role == "tutor"]
    assert tutor_turns[0].tutor_record == "" and all(t.tutor_turn() is not None for t in tutor_turns[1:])
    assert dialogue.turns[-1].tutor_turn().solved
    assert [t.role for t in dialogue.turns] == ["tutor", "student"] * dialogue.outcome.student_turns + ["tutor"]


def test_debugging_student_submits_code_only_after_understanding(sandbox):
    dialogue = run("toy-debug-average", strong(), sandbox)
    students = [t.student_turn() for t in dialogue.turns if t.role == "student"]
    first_code = next(i for i, s in enumerate(students) if s.code is not None)
    assert any(s.intent.kind == "explain" and s.intent.correct for s in students[:first_code])


def test_a_student_who_cannot_learn_ends_stuck(sandbox):
    dialogue = run("toy-math-pencils", weak(), sandbox, limits=DialogueLimits(max_turns=20, stuck_after=4))
    assert dialogue.outcome.status == "stuck"
    assert not dialogue.outcome.solved and dialogue.outcome.student_turns <= 20


def test_max_turns_ends_a_dialogue_that_is_still_moving(sandbox):
    dialogue = run("toy-math-school-trip", weak(), sandbox, limits=DialogueLimits(max_turns=2, stuck_after=10))
    assert dialogue.outcome.status == "max_turns"
    assert dialogue.outcome.student_turns == 2


def test_a_tutor_that_states_the_answer_is_caught_even_without_its_guard(sandbox):
    leaky = ScriptedChatModel(replies=["Just so you know, the change is $2.20. What do you get?"])
    dialogue = run("toy-math-pencils", weak(), sandbox, model=leaky, config=TutorConfig(use_guard=False))
    assert dialogue.outcome.status == "answer_leaked" and dialogue.outcome.leak_turn == 2
    assert not dialogue.quality.passed and "leak" in dialogue.quality.reasons
    # With the guard on, the same model's replies are replaced and nothing leaks.
    guarded = run("toy-math-pencils", weak(), sandbox, model=leaky, limits=DialogueLimits(max_turns=4))
    assert not guarded.outcome.leaked


def test_the_same_seed_gives_the_same_dialogue(sandbox):
    profile = get_profile("felix-bored-guesser")
    texts = [[t.text for t in run("toy-math-school-trip", profile, sandbox, seed=5).turns] for _ in range(2)]
    assert texts[0] == texts[1]
    other = [t.text for t in run("toy-math-school-trip", profile, sandbox, seed=6).turns]
    assert other != texts[0] or len(other) > 3


def test_provenance_records_specs_seed_versions_and_config_hash(sandbox):
    dialogue = run("toy-math-pencils", strong(), sandbox, seed=9)
    p = dialogue.provenance
    assert (p.tutor_model, p.student_policy, p.seed) == ("scripted", "rules", 9)
    assert p.config == '{"test":true}' and len(p.config_hash) == 16 and p.job_id == dialogue.id
    assert p.versions.package and p.versions.python.count(".") == 2
    again = Dialogue.model_validate_json(dialogue.to_json_line())
    assert again == dialogue and again.problem().id == "toy-math-pencils" and again.profile().id == "strong"


def _turn(i: int, role: str, text: str, code: str = "") -> DialogueTurn:
    return DialogueTurn(index=i, role=role, text=text, code=code or "")  # type: ignore[arg-type]


def _outcome(**kw) -> Outcome:
    return Outcome(
        **{
            "status": "max_turns",
            "solved": False,
            "leaked": False,
            "tutor_turns": 1,
            "student_turns": 1,
            **kw,
        }
    )


def test_quality_filters_catch_loops_role_breaks_and_empty_turns():
    ok = [_turn(0, "tutor", "What is 3 x 4?"), _turn(1, "student", "12")]
    assert quality_check(ok, _outcome()).passed
    loop = [_turn(i, "tutor" if i % 2 == 0 else "student", "What is next?" if i % 2 == 0 else f"{i}") for i in range(6)]
    assert quality_check(loop, _outcome()).reasons == ["loop"]
    broke = ok + [_turn(2, "student", "Great job! Now, what is 5 x 5?"), _turn(3, "tutor", "Student: 25")]
    check = quality_check(broke, _outcome())
    assert check.reasons == ["role_break"] and check.details.count("role_break:") == 2
    empty = ok + [_turn(2, "student", "  "), _turn(3, "student", "", code="print(1)")]
    assert quality_check(empty, _outcome()).details == "empty_turn: messages [2]"
    allowed = quality_check(ok, _outcome(leaked=True, reveal_allowed=True, leak_turn=2))
    assert allowed.passed
