"""The fidelity card: misconception rates where they apply, solve figures, questions, moves, MathDial side."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from student_sim.dialogue import Dialogue
from student_sim.fidelity import (
    FIDELITY_JSON,
    FIDELITY_MD,
    MOVES,
    asks_question,
    compute_fidelity,
    fidelity_for_run,
    read_fidelity,
    render_fidelity_markdown,
    tutor_move,
    write_fidelity,
)
from student_sim.gen_spec import GenerationSpec
from student_sim.generate import generate
from student_sim.profiles import Misconception, StudentProfile
from student_sim.runfolder import RunFolder
from student_sim.runner import DialogueLimits, RunInfo, run_dialogue
from student_sim.student import StudentSimulator
from tests.student_sim.conftest import TUTOR_LINES, tutor_model
from tutor.agent import TutorAgent, TutorConfig
from tutor.errors import NotFoundError
from tutor.problems import toy_bank

ADDS = Misconception(slug="wrong-operation", description="When I see two numbers I add them.", strength=1.0)


def adder(**changes) -> StudentProfile:
    """A student who always errs and whose every error on a wrong-operation step is that wrong answer."""
    fields = dict(
        id="adder",
        name="Ada",
        persona="Adds whatever she sees.",
        default_mastery=0.0,
        learning_rate=0.0,
        question_rate=0.0,
        misconceptions=(ADDS,),
    )
    return StudentProfile(**{**fields, **changes})


def run(problem_id: str, profile: StudentProfile, sandbox, *, max_turns: int = 4, seed: int = 0) -> Dialogue:
    problem = toy_bank().get(problem_id)
    agent = TutorAgent(problem, tutor_model(), sandbox, TutorConfig())
    return run_dialogue(
        problem,
        profile,
        tutor=agent,
        student=StudentSimulator(problem, profile),
        seed=seed,
        limits=DialogueLimits(max_turns=max_turns, stuck_after=10),
        info=RunInfo(tutor_model="scripted", config={"test": "fidelity"}),
    )


@pytest.fixture(scope="module")
def adder_dialogue(sandbox) -> Dialogue:
    return run("toy-math-pencils", adder(), sandbox)


@pytest.fixture(scope="module")
def strong_dialogue(sandbox) -> Dialogue:
    knows = ADDS.model_copy(update={"strength": 0.0})  # the misconception is listed but no longer held
    return run(
        "toy-math-pencils", adder(id="strong", default_mastery=1.0, misconceptions=(knows,)), sandbox, max_turns=6
    )


@pytest.fixture(autouse=True)
def _no_realdata(monkeypatch):
    monkeypatch.delenv("TUTOR_REALDATA_DIR", raising=False)


def with_student_texts(dialogue: Dialogue, texts: list[str]) -> Dialogue:
    """The same dialogue with its student messages replaced, in order (the steps they answer stay)."""
    replies = iter(texts)
    turns = [t.model_copy(update={"text": next(replies)}) if t.role == "student" else t for t in dialogue.turns]
    return dialogue.model_copy(update={"turns": turns})


def test_a_misconception_at_rate_one_shows_on_every_answer_where_it_applies(adder_dialogue):
    card = compute_fidelity([adder_dialogue])
    [profile] = card.profiles
    [m] = profile.misconceptions
    assert m.slug == "wrong-operation" and m.stated_rate == 1.0
    # Both steps of the pencils problem have a wrong-operation answer; the student never gets past s1.
    assert m.steps == ["toy-math-pencils:s1", "toy-math-pencils:s2"]
    assert (m.opportunities, m.first_hits, m.first_wrong) == (1, 1, 1)
    assert m.first_rate == 1.0 and m.rate_among_wrong == 1.0 and m.implied_first_rate == 1.0
    assert m.answers == adder_dialogue.outcome.student_turns == 4 and m.answer_rate == 1.0
    assert profile.solve_rate == 0.0 and profile.turns_to_solve_mean is None
    assert card.ours.first_answer_incorrect_rate == 1.0 and card.ours.first_answer_n == 1


def test_a_student_who_knows_it_solves_and_never_shows_the_misconception(strong_dialogue):
    card = compute_fidelity([strong_dialogue])
    [profile] = card.profiles
    [m] = profile.misconceptions
    assert (m.opportunities, m.first_hits, m.first_wrong) == (2, 0, 0)
    assert m.first_rate == 0.0 and m.rate_among_wrong is None and m.implied_first_rate == 0.0
    assert profile.solved == 1 and profile.solve_rate == 1.0
    assert profile.turns_to_solve_mean == 2.0 and profile.turns_to_solve_median == 2
    assert card.ours.first_answer_incorrect == 0 and card.ours.solve_rate == 1.0


def test_rates_count_what_the_student_wrote(adder_dialogue, strong_dialogue):
    # Read from the words: the first answer on s1 right, then the misconception's 7.4 in a question, a
    # question without a number (not an answer), then the other typical wrong answer (28).
    edited = with_student_texts(adder_dialogue, ["It costs $2.80", "Is it 7.4?", "What should I do?", "28"])
    card = compute_fidelity([edited, strong_dialogue])
    [m] = card.profiles[0].misconceptions
    assert (m.opportunities, m.first_hits, m.first_wrong) == (1, 0, 0)
    assert (m.answers, m.hits) == (3, 1)
    assert card.profiles[0].question_turns == 2 and card.profiles[0].question_share == 0.5
    # Neither dialogue opens with the predicted wrong answer: the edited one opens right.
    assert card.ours.first_answer_n == 2 and card.ours.first_answer_incorrect == 0
    assert card.ours.dialogues == 2 and card.ours.turns_mean == (len(edited.turns) + len(strong_dialogue.turns)) / 2


def test_profiles_are_reported_separately(adder_dialogue, strong_dialogue):
    card = compute_fidelity([strong_dialogue, adder_dialogue, adder_dialogue])
    assert [(p.profile_id, p.dialogues) for p in card.profiles] == [("adder", 2), ("strong", 1)]
    assert card.profiles[0].misconceptions[0].opportunities == 2
    assert card.ours.solve_rate == round(1 / 3, 4)


def test_a_question_needs_words_not_just_a_question_mark():
    assert asks_question("What do I multiply?") and asks_question("I got 7.4. Is that right?")
    assert not asks_question("12? 13?") and not asks_question("It is 2.8.")


def test_tutor_decisions_map_to_mathdial_moves(adder_dialogue):
    tutor_turns = [t for t in adder_dialogue.turns if t.role == "tutor"]
    moves = [tutor_move(t) for t in tutor_turns]
    assert moves[0] == "focus"  # the opening asks the first step's question
    # A wrong-operation answer gets the misconception's feedback question: seeking self-correction.
    assert tutor_turns[1].tutor_turn().decision.class_action == "give_feedback" and moves[1] == "probing"
    card = compute_fidelity([adder_dialogue])
    assert sum(card.ours.moves.values()) == card.ours.teacher_turns == len(tutor_turns)
    assert set(card.ours.move_shares) == set(MOVES) and abs(sum(card.ours.move_shares.values()) - 1) < 1e-3
    assert all(tutor_move(t) is None for t in adder_dialogue.turns if t.role == "student")


def test_debugging_dialogues_are_counted_but_not_read_for_answers(sandbox):
    profile = adder(misconceptions=(ADDS.model_copy(update={"concepts": ("loops",)}),))
    dialogue = run("toy-debug-average", profile, sandbox, max_turns=2)
    card = compute_fidelity([dialogue])
    assert card.profiles[0].misconceptions[0].opportunities == 0
    assert "debugging" in card.profiles[0].notes[0] and card.ours.first_answer_n == 0


def test_run_folder_card_is_written_read_back_and_rendered(tmp_path, adder_dialogue, strong_dialogue):
    folder = RunFolder(tmp_path)
    folder.append("dialogues", adder_dialogue.to_json_line())
    failed = strong_dialogue.quality.model_copy(update={"passed": False, "loop": True})
    folder.append("rejected", strong_dialogue.model_copy(update={"quality": failed}).to_json_line())
    card = fidelity_for_run(tmp_path)
    assert (card.dialogues, card.accepted, card.rejected) == (2, 1, 1) and card.mathdial is None
    json_path, md_path = write_fidelity(tmp_path, card)
    assert json_path.name == FIDELITY_JSON and md_path.name == FIDELITY_MD
    assert read_fidelity(tmp_path) == card and json.loads(json_path.read_text())["ours"]["dialogues"] == 2
    text = md_path.read_text()
    assert text == render_fidelity_markdown(card)
    assert "| adder | wrong-operation |" in text and "1/1 (100%)" in text
    assert "no MathDial reference" in text and "| give_feedback | probing |" in text
    assert read_fidelity(tmp_path / "nowhere") is None


def test_cli_recomputes_the_card_and_refuses_a_folder_without_dialogues(tmp_path, adder_dialogue):
    from socratic_cli import app

    RunFolder(tmp_path).append("dialogues", adder_dialogue.to_json_line())
    result = CliRunner().invoke(app, ["dialogues", "fidelity", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Simulated-student fidelity" in result.output and (tmp_path / FIDELITY_JSON).is_file()
    # User errors are the project's one-line errors (socratic_cli prints their message, no traceback).
    empty = CliRunner().invoke(app, ["dialogues", "fidelity", str(tmp_path / "none")])
    assert isinstance(empty.exception, NotFoundError) and "no dialogues" in empty.exception.message
    missing = CliRunner().invoke(app, ["dialogues", "fidelity", str(tmp_path), "--mathdial", "nope.jsonl"])
    assert isinstance(missing.exception, NotFoundError) and "MathDial file not found" in missing.exception.message


def test_generate_writes_the_card_and_a_resumed_run_recomputes_it(tmp_path):
    script = tmp_path / "tutor-lines.yaml"
    script.write_text(yaml.safe_dump({"replies": list(TUTOR_LINES)}), encoding="utf-8")
    spec = GenerationSpec.model_validate(
        {
            "name": "fidelity",
            "problems": ["toy-math-pencils"],
            "profiles": ["ava-adds-instead", "grace-strong-all-rounder"],
            "seeds": 1,
            "max_turns": 4,
            "models": {"tutor": f"scripted:{script}"},
        }
    )
    out = tmp_path / "run"
    first = generate(spec, out, progress=False, limit=1)
    assert first.fidelity == out / FIDELITY_MD and read_fidelity(out).dialogues == 1
    generate(spec, out, progress=False)
    card = read_fidelity(out)
    assert card.dialogues == 2 and [p.profile_id for p in card.profiles] == [
        "ava-adds-instead",
        "grace-strong-all-rounder",
    ]
    assert card == fidelity_for_run(out)


def mathdial_line(qid: int, conversation: str, incorrect: str = "So she has 4 spoons.\n 4", **extra) -> str:
    record = {
        "qid": qid,
        "scenario": 1,
        "question": "Julia had some spoons and bought 5 more. She has 12. How many did she have?",
        "ground_truth": "12-5=7\n 7",
        "student_incorrect_solution": incorrect,
        "student_profile": "Mia is a 7th grade student.",
        "teacher_described_confusion": "subtracted the wrong numbers",
        "self-correctness": "Yes",
        "self-typical-confusion": 3,
        "self-typical-interactions": 3,
        "conversation": conversation,
        **extra,
    }
    return json.dumps(record)


def test_mathdial_side_counts_moves_first_answers_and_length(tmp_path, adder_dialogue):
    path = tmp_path / "mathdial.jsonl"
    lines = [
        mathdial_line(
            1,
            "Teacher: (generic)Hi Mia, talk me through it|EOM|Student: I got 4 spoons.|EOM|"
            "Teacher: (focus)How many did she buy?|EOM|Student: 5, so 7. Why did I get 4?|EOM|"
            "Teacher: (telling)12 minus 5 is 7",
        ),
        mathdial_line(
            2,
            "Teacher: (probing)What did you do first?|EOM|Student: I added them.|EOM|Teacher: (generic)Thanks",
            **{"self-correctness": "No"},
        ),
        mathdial_line(3, "Teacher: (focus)Start again|EOM|Student: 7", incorrect="It is 7.\n 7"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    card = compute_fidelity([adder_dialogue], mathdial=path)
    ref = card.mathdial
    assert ref is not None and ref.dialogues == 3 and card.mathdial_path == str(path)
    assert ref.moves == {"focus": 2, "probing": 1, "telling": 1, "generic": 2} and ref.teacher_turns == 6
    assert ref.turns_mean == round((5 + 3 + 2) / 3, 4) and ref.turns_median == 3
    # The third record's incorrect solution ends on the right answer: it shows no wrong answer.
    assert (ref.first_answer_incorrect, ref.first_answer_n) == (1, 2)
    assert ref.question_share == round(1 / 4, 4) and ref.solve_rate == round(2 / 3, 4)
    text = render_fidelity_markdown(card)
    assert "| figure | generated | MathDial |" in text and "no MathDial reference" not in text


@pytest.mark.realdata
def test_mathdial_reference_figures_from_the_real_file(realdata_dir, adder_dialogue, monkeypatch, tmp_path):
    monkeypatch.setenv("TUTOR_REALDATA_DIR", str(realdata_dir))
    RunFolder(tmp_path).append("dialogues", adder_dialogue.to_json_line())
    ref = fidelity_for_run(tmp_path).mathdial  # found through TUTOR_REALDATA_DIR
    assert ref is not None and ref.dialogues >= 190
    assert all(ref.moves[m] > 0 for m in MOVES) and ref.teacher_turns > 5 * ref.dialogues
    assert abs(sum(ref.move_shares.values()) - 1) < 1e-3
    assert 6 < ref.turns_mean < 20 and ref.first_answer_n > 0.9 * ref.dialogues
    # MathDial's students were built to hold on to their incorrect solution: most open with it.
    assert 0.5 < ref.first_answer_incorrect_rate < 1
