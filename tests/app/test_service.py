"""The tutoring service: the turn protocol, isolation and bad input, on a real SQLite store."""

from __future__ import annotations

import pytest

from tests.conftest import free_port
from tutor.errors import InputDataError, NotFoundError
from tutor.guard.leak import LeakGuard
from tutor.problems.bank import ProblemBank
from tutor.service_views import TurnResult


def _drain(stream):
    pieces, done = [], None
    for item in stream:
        if isinstance(item, TurnResult):
            done = item
        else:
            pieces.append(item)
    return "".join(pieces), done


def test_a_turn_is_stored_with_its_full_record(service):
    ana = service.store.create_user("ana", "correct horse", "student")
    opened = service.start(ana, problem_id="toy-math-pencils")
    assert [m.role for m in opened.messages] == ["tutor"]
    text, done = _drain(service.send(ana, opened.session_id, "I think it's 7.40"))
    assert text.strip() and done.record is None and done.thinking is None  # a student gets no record
    transcript = service.store.transcript(opened.session_id, ana)
    assert [m.role for m in transcript] == ["tutor", "student", "tutor"]
    assert transcript[-1].record["assessment"]["label"] == "incorrect"
    assert transcript[-1].record["assessment"]["misconception"] == "wrong-operation"
    assert LeakGuard(ProblemBank.load().get("toy-math-pencils")).check(transcript[-1].text).ok
    assert service.store.get_session(opened.session_id, ana).state["tutor"]["turn_index"] == 1


def test_student_message_survives_a_crash_and_is_answered_on_resume(service):
    ben = service.store.create_user("ben", "correct horse", "student")
    opened = service.start(ben, problem_id="toy-math-pencils")
    stream = service.send(ben, opened.session_id, "is it 2.8?")
    next(stream)  # the message is committed and the reply has started ...
    stream.close()  # ... then the server dies before the turn is stored
    reopened = service.open(ben, opened.session_id)
    assert reopened.pending == "is it 2.8?"
    _, done = _drain(service.send(ben, opened.session_id, ""))  # an empty Send answers the waiting message
    assert done.progress.steps[0].status == "done"  # 2.8 was right: step 1 is done
    assert service.store.transcript(opened.session_id, ben)[-1].record["assessment"]["label"] == "correct"
    assert service.open(ben, opened.session_id).pending is None


def test_a_student_cannot_open_another_students_session(service):
    owner = service.store.create_user("cara", "correct horse", "student")
    other = service.store.create_user("dan", "correct horse", "student")
    teacher = service.store.create_user("tess", "correct horse", "teacher")
    opened = service.start(owner, problem_id="toy-math-pencils")
    with pytest.raises(NotFoundError):
        service.open(other, opened.session_id)
    with pytest.raises(NotFoundError):
        list(service.send(other, opened.session_id, "hi"))
    assert service.open(teacher, opened.session_id).session_id == opened.session_id
    with pytest.raises(NotFoundError):  # staff read every session but never write in a student's
        list(service.send(teacher, opened.session_id, "hi"))
    assert [s.id for s in service.list_sessions(other)] == []


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_messages_are_refused_with_a_clear_error(service, text):
    eve = service.store.create_user("eve", "correct horse", "student")
    opened = service.start(eve, problem_id="toy-math-pencils")
    with pytest.raises(InputDataError) as info:
        list(service.send(eve, opened.session_id, text))
    assert "empty" in str(info.value)


@pytest.mark.parametrize("text", ["x" * 20_000, "🙂 ما هو الجواب؟ 🙂", "\x00\x01\x02\xff binary?", "¿Cuánto cuesta? ✏️"])
def test_awkward_messages_get_a_reply_and_are_kept(service, text):
    fay = service.store.create_user("fay", "correct horse", "student")
    opened = service.start(fay, problem_id="toy-math-pencils")
    reply, done = _drain(service.send(fay, opened.session_id, text))
    assert reply.strip() and done is not None
    stored = service.store.transcript(opened.session_id, fay)[1].text
    assert stored.replace("\x00", "") == text.replace("\x00", "") or len(stored) == len(text)


def test_a_dead_model_server_gives_a_scaffold_reply_and_loses_nothing(service):
    gus = service.store.create_user("gus", "correct horse", "student")
    rae = service.store.create_user("rae", "correct horse", "researcher")
    service.set_role_spec(rae, "tutor", f"openai:m?base_url=http://127.0.0.1:{free_port()}/v1&max_retries=0&timeout=2")
    opened = service.start(gus, problem_id="toy-math-pencils")
    reply, done = _drain(service.send(gus, opened.session_id, "7.40"))
    assert done.model_trouble and "pencils" in reply
    assert service.store.transcript(opened.session_id, gus)[-1].record["leak"]["fallback_used"]
    assert [m.role for m in service.store.transcript(opened.session_id, gus)] == ["tutor", "student", "tutor"]


def test_debugging_code_is_run_against_the_tests_and_fixes_resolve_bugs(service):
    hal = service.store.create_user("hal", "correct horse", "student")
    opened = service.start(hal, problem_id="toy-debug-max-index")
    problem = ProblemBank.load().get("toy-debug-max-index")
    assert opened.debugging and opened.code == problem.buggy_code
    result = service.run_tests(hal, opened.session_id, problem.buggy_code)
    assert not result.all_passed
    fixed_syntax = problem.patched_code(["b1"])
    _, done = _drain(service.send(hal, opened.session_id, "I added the colon", code=fixed_syntax))
    assert "b1" in service.store.transcript(opened.session_id, hal)[-1].record["resolved_bugs"]
    assert service.open(hal, opened.session_id).code == fixed_syntax
    _, done = _drain(service.send(hal, opened.session_id, "now best = i", code=problem.fixed_code))
    assert done.solved and done.progress.solved and service.open(hal, opened.session_id).status == "solved"


def test_a_generation_run_started_from_the_app_is_recorded_with_progress(service, scripted_spec, tmp_path):
    import time

    import yaml

    from student_sim.background import progress, start_generation

    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "web",
                "problems": ["toy-math-pencils"],
                "profiles": ["ava-adds-instead"],
                "seeds": [0, 1],
                "max_turns": 3,
                "models": {"tutor": scripted_spec, "student": scripted_spec},
                "student_policy": "rules",
                "concurrency": 1,
            }
        )
    )
    run = start_generation(service.store, spec, tmp_path / "run", service.settings)
    deadline = time.monotonic() + 120
    while service.store.get_run(run.id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    finished = service.store.get_run(run.id)
    assert finished.status == "done", finished.summary
    counts = progress(tmp_path / "run")
    assert counts["accepted"] + counts["rejected"] == 2 == finished.summary["jobs"]
