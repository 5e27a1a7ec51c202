"""What to practise next, and mastery that outlives a session: the choice rules on the real bank, and the
service carrying a student's mastery into their next session."""

from __future__ import annotations

import pytest

from tutor.errors import NotAllowedError, NotFoundError
from tutor.practice import Attempt, choose_next, concept_words
from tutor.problems.bank import ProblemBank
from tutor.service_views import TurnResult

BANK = ProblemBank.load()
MATH = BANK.list(domain="math")


def test_the_weakest_measured_concept_within_reach_comes_first():
    mastery = {c: 0.9 for p in MATH for c in p.concepts}
    mastery["division"] = 0.1
    choice = choose_next(MATH, mastery, [])
    assert choice is not None
    assert "division" in choice.problem.concepts and (choice.problem.difficulty or 3) <= 2
    assert choice.targets[0] == ("division", 0.1) and "division (10%)" in choice.reason
    assert choice.details["ceiling"] == 2.0


def test_solved_and_recent_problems_are_skipped_and_the_ceiling_rises_with_what_was_solved():
    first = choose_next(MATH, {}, [])
    assert first is not None
    history = [Attempt(first.problem.id, solved=True)]
    second = choose_next(MATH, {}, history)
    assert second is not None and second.problem.id != first.problem.id
    hard = max(MATH, key=lambda p: p.difficulty or 0)
    ceiling = choose_next(MATH, {}, [Attempt(hard.id, solved=True)])
    assert ceiling is not None and ceiling.details["ceiling"] == (hard.difficulty or 3) + 1
    seen = choose_next(MATH, {}, [Attempt(p.id, solved=False) for p in MATH[:3]])
    assert seen is not None and seen.problem.id not in {p.id for p in MATH[:3]}


def test_concepts_practised_just_now_are_spaced_out():
    target = next(p for p in MATH if "money" in p.concepts and (p.difficulty or 3) <= 2)
    mastery = {c: 0.8 for p in MATH for c in p.concepts}
    mastery.update({"money": 0.2, "subtraction": 0.3})
    without_spacing = choose_next(MATH, mastery, [])
    spaced = choose_next(MATH, mastery, [Attempt(target.id, solved=False)])
    assert without_spacing is not None and spaced is not None
    assert without_spacing.details["spaced_concepts"] == [] and "money" in without_spacing.problem.concepts
    # Money was practised in the last session: it counts half, so the same weakness scores lower now.
    assert "money" in spaced.details["spaced_concepts"]
    assert spaced.details["score"] < without_spacing.details["score"]


def test_nothing_within_reach_is_none_and_concept_names_never_tell_a_text_answer():
    assert choose_next(MATH[:1], {}, [Attempt(MATH[0].id, solved=True)]) is None
    assert concept_words("constant-acceleration", ["constant acceleration"]) == "an idea you will name yourself"
    assert concept_words("unit-conversion", ["metres"]) == "unit conversion"


def _solve_a_step(service, student, session_id: str) -> None:
    assert any(isinstance(i, TurnResult) for i in service.send(student, session_id, "7 x 0.40 = 2.80"))


def test_mastery_outlives_the_session_and_the_next_one_starts_from_it(service):
    ada = service.sign_up("ada", "correct horse")
    first = service.start(ada, "toy-math-pencils").session_id
    _solve_a_step(service, ada, first)
    measured = service.store.mastery_of(ada.id)
    assert measured and all(0 <= v <= 1 for v in measured.values())
    again = service.start(ada, "toy-math-pencils")
    state = service.store.get_session(again.session_id, ada).state["tutor"]["knowledge"]["mastery"]
    assert {c: state[c] for c in measured} == measured  # not the prior: what the first session measured
    assert [p.concept for p in service.mastery_history(ada)] and service.mastery_history(ada)[0].at


def test_next_problem_is_recorded_with_its_reason_and_started(service):
    ada = service.sign_up("ada", "correct horse")
    page, choice = service.start_next(ada, "math")
    assert page.problem_id == choice.problem.id and choice.reason.startswith("It starts you on")
    recorded = service.store.practice_choices(ada.id)
    assert [(c.problem_id, c.reason) for c in recorded] == [(choice.problem.id, choice.reason)]
    assert service.next_problem(ada, "math").problem.id != choice.problem.id  # just seen: not again


def test_only_staff_read_another_students_curve_and_a_class_table(service):
    ada, bea = service.sign_up("ada", "correct horse"), service.sign_up("bea", "correct horse")
    _solve_a_step(service, ada, service.start(ada, "toy-math-pencils").session_id)
    tess = service.store.create_user("tess", "correct horse", "teacher")
    klass = service.create_class(tess, "7B")
    service.join_class(ada, klass.join_code)
    assert service.mastery_history(bea, "ada") == []  # a student asking for another gets their own (none)
    assert [p.mastery for p in service.mastery_history(tess, "ada")] == [
        p.mastery for p in service.mastery_history(ada)
    ]
    assert set(service.class_mastery(tess, klass.id)) == {"ada"}
    with pytest.raises(NotAllowedError):
        service.class_mastery(ada, klass.id)
    with pytest.raises(NotFoundError):
        service.mastery_history(tess, "nobody")
