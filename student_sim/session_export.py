"""Sessions from the app in the dialogue schema (JSON Lines) and as Markdown, for teachers and students.

A live session becomes a `Dialogue` like a generated one, with a human student (`student_policy` "human",
no profile, no seed). What goes in is what the `SessionPage` holds, and the service shapes that page by
role: a student's own export has the messages, the public part of the problem and nothing the tutor keeps
back (no turn records, no answer key); a teacher's has the turn records and the whole problem, and its
outcome says whether a tutor message stated the solution before the student did (the same detector the
generator's leak filter uses, not the tutor's own guard).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from student_sim.checks import states_solution, student_stated_solution
from student_sim.dialogue import Dialogue, DialogueTurn, Outcome, Provenance, QualityCheck
from student_sim.provenance import versions
from tutor.problems.schema import PROBLEM_ADAPTER
from tutor.service_views import SessionPage


def _public_problem(page: SessionPage) -> str:
    public = {"id": page.problem_id, "domain": page.domain, "title": page.title, "statement": page.statement}
    return json.dumps(public, ensure_ascii=False)


def _turns(page: SessionPage) -> list[DialogueTurn]:
    turns = []
    for index, line in enumerate(page.messages):
        record = json.dumps(line.record, ensure_ascii=False) if line.record and index > 0 else ""
        node = str((line.record or {}).get("assessment", {}).get("node_id") or "")
        turns.append(DialogueTurn(index=index, role=line.role, text=line.text, node=node, tutor_record=record))
    return turns


def _first_telling(page: SessionPage) -> int | None:
    """Index of the first tutor message that states the solution before the student did (staff pages)."""
    if page.problem_json is None:
        return None
    problem = PROBLEM_ADAPTER.validate_json(page.problem_json)
    for index, line in enumerate(page.messages):
        if line.role == "student" and student_stated_solution(line.text, problem):
            return None
        if line.role == "tutor" and index > 0 and states_solution(line.text, problem):
            return index
    return None


def _outcome(page: SessionPage, turns: list[DialogueTurn]) -> Outcome:
    leak_turn = _first_telling(page)
    tutor_turns = sum(t.role == "tutor" for t in turns)
    solved = page.status == "solved"
    if leak_turn is not None:
        status, reason = "answer_leaked", f"tutor message {leak_turn} stated the solution"
    elif solved:
        status, reason = "solved", "the student solved it"
    else:
        status, reason = "in_progress", f"the session is {page.status}"
    return Outcome(
        status=status,  # type: ignore[arg-type]
        solved=solved and leak_turn is None,
        leaked=leak_turn is not None,
        leak_turn=leak_turn,
        tutor_turns=tutor_turns,
        student_turns=len(turns) - tutor_turns,
        reason=reason,
    )


def session_dialogue(page: SessionPage) -> Dialogue:
    """The session as one `Dialogue` record, holding only what `page` (already shaped by role) holds."""
    turns = _turns(page)
    created = datetime.fromisoformat(page.created_at) if page.created_at else datetime.now(UTC)
    updated = datetime.fromisoformat(page.updated_at) if page.updated_at else created
    return Dialogue(
        id=page.session_id,
        problem_id=page.problem_id,
        domain=page.domain,  # type: ignore[arg-type]
        problem_title=page.title,
        problem_statement=page.statement,
        problem_json=page.problem_json or _public_problem(page),
        profile_id=f"user:{page.owner}",
        profile_name=page.owner,
        profile_json="{}",
        turns=turns,
        outcome=_outcome(page, turns),
        quality=QualityCheck(passed=True),
        provenance=Provenance(
            job_id=page.session_id,
            tutor_model="",
            student_policy="human",
            seed=0,
            max_turns=0,
            config_hash="",
            config="{}",
            versions=versions(),
            created_at=updated,
            duration_s=max(0.0, (updated - created).total_seconds()),
        ),
    )


def dialogues_jsonl(pages: Iterable[SessionPage]) -> str:
    """Sessions as JSON Lines in the dialogue schema (one `Dialogue` per line)."""
    return "".join(session_dialogue(page).to_json_line() + "\n" for page in pages)


def _markdown_one(page: SessionPage) -> str:
    lines = [f"## {page.title}", "", f"*{page.owner}* · session `{page.session_id}` · {page.status}", ""]
    lines += [f"> {row}" for row in page.statement.splitlines()] + [""]
    for line in page.messages:
        who = "Student" if line.role == "student" else "Tutor"
        lines += [f"**{who}:** {line.text}", ""]
        if line.thinking:
            lines += ["<details><summary>tutor's thinking</summary>", "", line.thinking, "", "</details>", ""]
    if page.pending is not None:
        lines += ["*(the last message is still waiting for a reply)*", ""]
    return "\n".join(lines)


def dialogues_markdown(pages: Iterable[SessionPage], title: str) -> str:
    """Sessions as one Markdown document: statement, then the conversation (staff: with the thinking)."""
    return "\n".join([f"# {title}", "", *(_markdown_one(page) for page in pages)])
