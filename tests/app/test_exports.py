"""Session exports: a teacher's holds the records and the whole problem and reads back as Dialogues; a
student's holds the conversation only; Markdown carries the same conversation."""

from __future__ import annotations

import json

from student_sim.dialogue import Dialogue
from student_sim.session_export import dialogues_jsonl, dialogues_markdown, session_dialogue
from tutor.service_views import TurnResult


def _session(service, messages=("is it 99?", "maybe 2.80?")):
    ada = service.sign_up("ada", "correct horse")
    page = service.start(ada, "toy-math-pencils")
    for text in messages:
        assert any(isinstance(item, TurnResult) for item in service.send(ada, page.session_id, text))
    return ada, page.session_id


def test_a_teachers_export_reads_back_as_dialogues_with_records_and_the_problem(service):
    ada, session_id = _session(service)
    tess = service.store.create_user("tess", "correct horse", "teacher")
    page = service.open(tess, session_id)
    lines = dialogues_jsonl([page]).splitlines()
    dialogue = Dialogue.model_validate_json(lines[0])
    assert (len(lines), dialogue.id, dialogue.provenance.student_policy) == (1, session_id, "human")
    assert [t.role for t in dialogue.turns] == ["tutor", "student", "tutor", "student", "tutor"]
    assert [t.text for t in dialogue.turns if t.role == "student"] == ["is it 99?", "maybe 2.80?"]
    assert all(t.tutor_turn() is not None for t in dialogue.turns[2::2])  # every reply's full record
    assert dialogue.turns[0].tutor_record == ""  # the opening has no turn record
    assert dialogue.problem().id == "toy-math-pencils"
    assert dialogue.outcome.status == "in_progress" and dialogue.outcome.tutor_turns == 3


def test_a_students_export_has_the_conversation_and_nothing_kept_back(service):
    ada, session_id = _session(service)
    dialogue = session_dialogue(service.open(ada, session_id))
    assert all(t.tutor_record == "" for t in dialogue.turns)
    assert set(json.loads(dialogue.problem_json)) == {"id", "domain", "title", "statement"}
    assert "final_answer" not in dialogue.problem_json and "2.2" not in dialogue.problem_json  # kept back
    markdown = dialogues_markdown([service.open(ada, session_id)], "Ada's work")
    assert markdown.startswith("# Ada's work") and "**Student:** maybe 2.80?" in markdown
    assert "tutor's thinking" not in markdown


def test_a_tutor_message_that_states_the_answer_is_marked_in_a_teachers_export(service):
    ada, session_id = _session(service, ("is it 99?",))
    tess = service.store.create_user("tess", "correct horse", "teacher")
    page = service.open(tess, session_id)
    told = page.messages[-1].__class__(role="tutor", text="So the change is $2.20.")
    dialogue = session_dialogue(page.__class__(**{**page.__dict__, "messages": (*page.messages, told)}))
    assert (dialogue.outcome.status, dialogue.outcome.leaked, dialogue.outcome.leak_turn) == ("answer_leaked", True, 3)
