"""A student driving the real app over its HTTP API never receives what the tutor keeps from them.

For every toy problem and one debugging problem of the bank, a student signs up, starts the problem, sends
messages, runs the tests, lists and opens their session (all through `gradio_client`), and the stored-session
export is taken as that student. Every response is checked for the final answer and the step answers (as
numbers the way they would be written), the fixes, the fixed code, and, read back from the stored turn
records, every move text, soliloquy code and output, rejected draft and hidden plan title. The same check
on a teacher's view of the same session must find those records' secrets, so the detector can fail.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tutor.problems.bank import ProblemBank
from tutor.problems.schema import DebuggingProblem, NumericAnswer, Problem, TextAnswer

TOY = [p.id for p in ProblemBank.load().list() if p.source == "original" and p.id.startswith("toy-")]
BANK_DEBUGGING = "debug-002-warmer-days"
STUDENT_MESSAGES = ["Hmm, I am not sure where to begin.", "Can you just tell me the answer please?", "Is it 98765?"]
UNIT_WORDS = {"s": ("seconds", "second"), "m": ("metres", "meters"), "m/s": ("metres per second", "meters per second")}
STAFF_ONLY_WORDS = ("Assessment:", "Leak guard", "move_text", "rejected drafts", "soliloquies", "misconception")


def _number_forms(answer: NumericAnswer, statement: str) -> list[str]:
    """Regexes for the answer as it would be written: with its unit always, bare when distinctive."""
    value = answer.value
    numbers = {f"{value:g}"} | ({f"{value:.2f}"} if value != int(value) else set())
    units = [answer.unit, *UNIT_WORDS.get(answer.unit or "", ())] if answer.unit else []
    forms = []
    for n in numbers:
        exact = rf"(?<![\d.]){re.escape(n)}(?![\d])"
        forms += [exact + rf"\s?{re.escape(u)}\b" for u in units]
        if ("." in n or len(n) >= 3) and not re.search(exact, statement):
            forms.append(exact)
    return forms


def problem_secrets(problem: Problem) -> dict[str, str]:
    """What the answer key holds: name -> regex."""
    found: dict[str, str] = {}
    if isinstance(problem, DebuggingProblem):
        buggy = problem.buggy_code
        found["fixed code"] = re.escape(problem.fixed_code.strip())
        added = [
            line[1:].strip()
            for line in difflib.ndiff(buggy.splitlines(), problem.fixed_code.splitlines())
            if line.startswith("+ ") and line[1:].strip() and line[1:].strip() not in buggy
        ]
        for i, line in enumerate(added):
            found[f"fixed line {i}"] = re.escape(line)
        for bug in problem.bugs:
            found[f"fix of {bug.id}"] = re.escape(bug.fix)
            found[f"description of {bug.id}"] = re.escape(bug.description)
            if bug.patch and bug.patch.replace.strip() not in buggy:
                found[f"patch of {bug.id}"] = re.escape(bug.patch.replace.strip())
        return found
    answers = [("final answer", problem.final_answer)] + [(f"answer of {s.id}", s.answer) for s in problem.steps]
    for name, answer in answers:
        if isinstance(answer, NumericAnswer):
            for i, form in enumerate(_number_forms(answer, problem.statement)):
                found[f"{name} #{i}"] = form
        elif isinstance(answer, TextAnswer) and len(answer.text) >= 4:
            found[name] = rf"\b{re.escape(answer.text)}\b"
    return found


def record_secrets(records: list[dict[str, Any]], said: list[str]) -> dict[str, str]:
    """What the stored turn records hold beyond the chat: moves, soliloquies, rejected drafts, hidden titles."""
    found: dict[str, str] = {}
    for r in records:
        i = r["index"]
        if r["decision"]["move_text"]:
            found[f"move of turn {i}"] = re.escape(r["decision"]["move_text"])
        for k, s in enumerate(r["soliloquies"]):
            if s.get("code"):
                found[f"soliloquy code {i}.{k}"] = re.escape(s["code"].strip())
            output = (s.get("stdout") or "").strip()
            if len(output) >= 3 and not any(output in text for text in said):
                found[f"soliloquy output {i}.{k}"] = re.escape(output)
        for k, attempt in enumerate(r["leak"]["attempts"]):
            if attempt["text"].strip():  # an empty draft holds nothing to keep (and would match everything)
                found[f"rejected draft {i}.{k}"] = re.escape(attempt["text"].strip())
        for node in r["plan"]["nodes"]:
            if node["kind"] in ("understand", "fix"):
                found[f"plan title {node['id']}"] = re.escape(node["title"])
    return found


def leaks(payloads: list[str], secrets: dict[str, str]) -> list[str]:
    return sorted({name for name, pattern in secrets.items() for text in payloads if re.search(pattern, text)})


def _dump(value: Any) -> str:
    """Every string in a response (JSON leaves, HTML unescaped), one per line, so escaping hides nothing."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return html.unescape(value)
        if isinstance(value, str):
            return html.unescape(value)
    if isinstance(value, dict):
        return "\n".join(_dump(k) + "\n" + _dump(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(_dump(v) for v in value)
    return str(value)


def drive_as_student(client: Any, problem: Problem, service: Any) -> tuple[list[str], str]:
    """Start the problem and work on it through the HTTP API; every response, as text, and the session id."""
    client.predict(problem.domain, api_name="/problems")
    payloads = [_dump(client.predict(problem.id, api_name="/start_problem"))]
    code = problem.buggy_code if isinstance(problem, DebuggingProblem) else ""
    if isinstance(problem, DebuggingProblem):
        payloads.append(_dump(client.predict(code, api_name="/run_tests")))
    chat: list[dict[str, Any]] = []
    for text in STUDENT_MESSAGES:
        job = client.submit(text, code, chat, api_name="/send")
        job.result()
        outputs = job.outputs()
        payloads += [_dump(o) for o in outputs]
        chat = outputs[-1][0]
    student = service.log_in("sam", "correct horse")
    session_id = service.list_sessions(student)[0].id
    assert session_id in payloads[0]
    payloads.append(_dump(client.predict("", "", api_name="/list_sessions")))
    payloads.append(_dump(client.predict(session_id, api_name="/open_dialogue")))
    payloads.append(_dump(service.export(student, session_id)))  # the stored-session export, as the student
    for fmt in ("JSON Lines", "Markdown"):  # the files a student downloads: "Save this conversation"
        saved = client.predict(fmt, api_name="/save_session")[0]
        payloads.append(Path(saved).read_text(encoding="utf-8"))
    payloads.append(_dump(json.loads(payloads[-2])))  # the JSON record's fields, unescaped one by one
    return payloads, session_id


@pytest.mark.parametrize("problem_id", [*TOY, BANK_DEBUGGING])
def test_a_student_receives_no_answer_fix_move_or_soliloquy(running_app, problem_id):
    from gradio_client import Client

    url, service = running_app
    problem = ProblemBank.load().get(problem_id)
    client = Client(url, verbose=False)
    client.predict("sam", "correct horse", "", api_name="/sign_up")
    payloads, session_id = drive_as_student(client, problem, service)

    owner = service.log_in("sam", "correct horse")
    records = [m.record for m in service.store.transcript(session_id, owner) if m.record and "assessment" in m.record]
    assert len(records) == len(STUDENT_MESSAGES)
    hidden = record_secrets(records, STUDENT_MESSAGES)
    assert any(name.startswith("move of turn") for name in hidden)  # there is something to keep
    secrets = {**problem_secrets(problem), **hidden}
    assert leaks(payloads, secrets) == []
    assert [w for w in STAFF_ONLY_WORDS if any(w in p for p in payloads)] == []

    # The detector finds the same secrets where they belong: in a teacher's view of this session.
    teacher = service.store.create_user("tess", "correct horse", "teacher")
    staff_view = _dump(service.export(teacher, session_id))
    assert {n for n in leaks([staff_view], hidden) if n.startswith("move of turn")} == {
        n for n in hidden if n.startswith("move of turn")
    }
    assert "Assessment:" in staff_view
