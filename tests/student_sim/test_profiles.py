"""The profile library, profile files, and profiles built from MathDial records."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from student_sim.profiles import (
    MATHDIAL_MISCONCEPTION,
    StudentProfile,
    dump_profile,
    from_mathdial,
    from_seed,
    get_profile,
    load_profile_file,
    load_profiles,
)
from student_sim.student import StudentSimulator
from tutor.errors import InputDataError, NotFoundError
from tutor.problems.bank import ProblemBank
from tutor.problems.importers.base import ImportedProblem
from tutor.problems.importers.mathdial import import_mathdial
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.schema import DebuggingProblem

FIXTURE = Path(__file__).parent / "fixtures" / "mathdial_records.jsonl"


@pytest.fixture(scope="module")
def library() -> list[StudentProfile]:
    return load_profiles()


@pytest.fixture(scope="module")
def bank() -> ProblemBank:
    return ProblemBank.load()


def test_library_has_at_least_30_varied_profiles(library):
    assert len(library) >= 30
    assert len({p.id for p in library}) == len(library)
    assert len(Counter(p.affect for p in library)) >= 5
    assert set(Counter(p.verbosity for p in library)) == {"terse", "normal", "verbose"}
    assert sum(1 for p in library if p.false_beliefs) >= 8
    grades = [p.grade for p in library if p.grade]
    assert min(grades) <= 5 and max(grades) >= 11
    rates = {p.learning_rate for p in library}
    assert min(rates) <= 0.08 and max(rates) >= 0.25
    for domain in ("math", "physics", "debugging"):
        assert sum(1 for p in library if domain in p.domains) >= 5, domain


def test_math_and_physics_misconceptions_match_wrong_answers_in_the_bank(library, bank):
    bank_slugs = {
        w.misconception
        for problem in bank
        if not isinstance(problem, DebuggingProblem)
        for step in problem.steps
        for w in step.wrong_answers
    }
    bug_concepts = {
        c for problem in bank if isinstance(problem, DebuggingProblem) for b in problem.bugs for c in b.concepts
    }
    for profile in library:
        for mis in profile.misconceptions:
            if mis.concepts:  # a debugging misconception: it must touch concepts some bug exercises
                assert set(mis.concepts) & bug_concepts, (profile.id, mis.slug)
            else:
                assert mis.slug in bank_slugs, (profile.id, mis.slug)
        for belief in profile.false_beliefs:
            held = {m.slug for m in profile.misconceptions}
            assert belief.misconception in held | bank_slugs, (profile.id, belief.statement)


def test_profile_file_round_trips_through_yaml(tmp_path, library):
    original = library[0]
    path = tmp_path / f"{original.id}.yaml"
    path.write_text(dump_profile(original), encoding="utf-8")
    assert load_profile_file(path) == original


def test_profile_file_errors_name_the_field_and_the_file(tmp_path):
    bad = tmp_path / "kim.yaml"
    bad.write_text("id: kim\nname: Kim\npersona: x\nlearning_rate: 3\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"kim.yaml: field `learning_rate`"):
        load_profile_file(bad)
    misnamed = tmp_path / "other.yaml"
    misnamed.write_text("id: kim\nname: Kim\npersona: x\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="differs from the file name"):
        load_profile_file(misnamed)


def test_unknown_profile_id_is_a_not_found_error_with_suggestions(library):
    with pytest.raises(NotFoundError) as info:
        get_profile("ava-nobody", library)
    assert "ava-adds-instead" in str(info.value)


def _records() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def test_from_mathdial_reads_name_grade_and_binds_the_wrong_answer_to_the_imported_problem():
    profile = from_mathdial(_records()[0])
    assert (profile.name, profile.grade, profile.source, profile.license) == (
        "Marisol",
        5,
        "mathdial",
        "CC-BY-SA-4.0",
    )
    mis = profile.misconception(MATHDIAL_MISCONCEPTION)
    assert mis is not None and mis.description == "She added the roses per vase to the number of vases."
    assert [(b.problem_id, b.step, b.value) for b in mis.wrong_answers] == [("mathdial-7001", None, 32.0)]
    # The persona says "adds ... multiplication": the generic slug is held too, for other problems.
    assert profile.misconception("wrong-operation") is not None
    assert profile.default_mastery == pytest.approx(0.35)  # typical confusion 4 -> weak prior
    assert "8 + 5 = 13" in (profile.incorrect_solution or "")


def test_from_mathdial_rejects_a_record_without_persona():
    record = {**_records()[0], "student_profile": "  "}
    with pytest.raises(InputDataError, match="student_profile"):
        from_mathdial(record)


def test_mathdial_student_reproduces_its_incorrect_solution_on_the_imported_problem():
    outcomes = list(import_mathdial(FIXTURE))
    problems = {o.problem.id: o.problem for o in outcomes if isinstance(o, ImportedProblem)}
    seeds = [o.record for o in outcomes if isinstance(o, ImportedRecord)]
    for record, seed in zip(_records(), seeds, strict=True):
        for profile in (from_mathdial(record), from_seed(seed)):
            problem = problems[seed.problem_id]
            last = problem.steps[-1]
            wrong_seen = 0
            for s in range(20):
                student = StudentSimulator(problem, profile.model_copy(update={"question_rate": 0.0}))
                state = student.start(seed=s)
                turn, _ = student.step(last.question, state)
                if turn.intent.value == seed.wrong_answer:
                    wrong_seen += 1
                    assert turn.intent.misconception == seed.misconception
            # Weak prior mastery: most seeds answer with the MathDial student's own wrong answer.
            assert wrong_seen >= 8, (profile.id, wrong_seen)
