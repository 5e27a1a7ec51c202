"""What a profile tells the misconception forecaster (`student_sim.forecast`)."""

from __future__ import annotations

from student_sim.forecast import (
    CONFUSION_STRENGTH,
    PERSONA_STRENGTH,
    forecast_step,
    held_misconceptions,
    step_mastery,
    text_cues,
)
from student_sim.profiles import FalseBelief, Misconception, StudentProfile, from_mathdial, get_profile
from tutor.problems import toy_bank


def _profile(**fields) -> StudentProfile:
    return StudentProfile.model_validate({"id": "p", "name": "P", "persona": "A student.", **fields})


def test_text_cues_read_personas_and_teacher_descriptions():
    assert text_cues("subtracting instead of adding") == {"wrong-operation"}
    assert text_cues("The student just forgot the final step") == {"forgot-step"}
    assert "used-wrong-quantity" in text_cues("She has difficulty determining which information is relevant")
    assert text_cues(None) == set() and text_cues("Hello there") == set()


def test_held_combines_misconceptions_beliefs_persona_and_confusion():
    profile = _profile(
        persona="He struggles to determine the correct operation to use.",
        misconceptions=(Misconception(slug="forgot-step", description="I stop early.", strength=0.7),),
        false_beliefs=(FalseBelief(statement="1 km = 100 m", misconception="unit-conversion", strength=0.8),),
    )
    held = held_misconceptions(profile, "miscalculation")
    assert held == {
        "forgot-step": 0.7,
        "unit-conversion": 0.8,
        "wrong-operation": PERSONA_STRENGTH,
        "arithmetic-slip": CONFUSION_STRENGTH,
    }
    assert held_misconceptions(profile, None, persona_strength=0.0)["wrong-operation"] == 0.0


def test_a_misconception_bound_to_an_answer_is_not_a_tendency():
    record = {
        "qid": 7,
        "question": "Tom has 3 apples and buys 4. How many?",
        "ground_truth": "3+4=7\n 7",
        "student_incorrect_solution": "3*4=12\n 12",
        "student_profile": "Tom is a 7th grade student.",
    }
    profile = from_mathdial(record)
    assert any(m.wrong_answers for m in profile.misconceptions)
    assert held_misconceptions(profile) == {}


def test_a_profile_that_adds_instead_gets_the_wrong_operation_forecast_first():
    problem = toy_bank().get("toy-math-pencils")
    step = problem.steps[0]
    ava = get_profile("ava-adds-instead")
    ranked = forecast_step(ava, step, problem_concepts=problem.concepts)
    assert ranked[0].value == 7.4 and ranked[0].misconceptions == ("wrong-operation",)
    other = forecast_step(_profile(default_mastery=0.5), step)
    assert abs(other[0].probability - 0.5) < 1e-9  # no student information: the two patterns tie


def test_step_mastery_is_the_mean_over_the_step_concepts():
    step = toy_bank().get("toy-math-pencils").steps[0]  # multiplication, decimals
    profile = _profile(mastery={"multiplication": 0.9, "decimals": 0.3}, default_mastery=0.1)
    assert abs(step_mastery(profile, step) - 0.6) < 1e-9
    bare = step.model_copy(update={"concepts": ()})
    assert step_mastery(profile, bare) == 0.1
