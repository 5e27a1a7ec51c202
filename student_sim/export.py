"""Exports of dialogues for fine-tuning a tutor: OpenAI chat format and ShareGPT.

Both share one layout, so that a conversation starts with the user, as ShareGPT trainers require:

1. system: the tutor's instructions;
2. user: the problem (statement, and the buggy program for debugging problems);
3. assistant: the tutor's opening; then user (student) and assistant (tutor) alternate. A program the
   student submitted follows its message in a ```python block.

The tutor's hidden reasoning (assessment, Bridge decision, the scaffold move, code soliloquies and their
results) stays out unless `include_reasoning`; then it precedes each tutor reply in a
`<reasoning>...</reasoning>` block of the same assistant message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from student_sim.dialogue import Dialogue, DialogueTurn
from student_sim.runfolder import RunFolder
from tutor.errors import NotFoundError
from tutor.files import atomic_writer

Format = Literal["openai", "sharegpt"]
FORMATS: tuple[Format, ...] = ("openai", "sharegpt")
SYSTEM_PROMPT = (
    "You are a Socratic tutor. Guide the student with questions, one step at a time. Never state the final "
    "answer or the corrected code; check the student's numbers and code, and help them find their mistakes."
)


def _problem_message(dialogue: Dialogue) -> str:
    text = f"Problem: {dialogue.problem_title}\n\n{dialogue.problem_statement.strip()}"
    if dialogue.domain == "debugging":
        code = json.loads(dialogue.problem_json).get("buggy_code", "")
        text += f"\n\nMy program:\n```python\n{code.rstrip()}\n```"
    return text


def _student_content(turn: DialogueTurn) -> str:
    if turn.code:
        return f"{turn.text}\n\n```python\n{turn.code.rstrip()}\n```".strip()
    return turn.text


def reasoning_text(turn: DialogueTurn) -> str:
    """The tutor's hidden reasoning for one turn, as plain text ('' for the opening)."""
    record = turn.tutor_turn()
    if record is None:
        return ""
    a, d = record.assessment, record.decision
    lines = [
        f"assessment: {a.label}" + (f" ({a.misconception})" if a.misconception else "") + f" - {a.evidence}",
        f"decision: {d.class_action}; strategy {d.bridge_strategy}; intention {d.bridge_intention}",
    ]
    if d.move_text:
        lines.append(f"move: {d.move_text}")
    for s in record.soliloquies:
        if s.needed and s.code:
            result = (s.stdout or s.error or "").strip()
            lines.append(f"calculation ({s.purpose or s.reason}):\n{s.code.rstrip()}\n-> {result}")
    if record.tests:
        passed = sum(1 for t in record.tests if t.status == "passed")
        lines.append(f"tests: {passed}/{len(record.tests)} passed")
    return "\n".join(lines)


def _tutor_content(turn: DialogueTurn, include_reasoning: bool) -> str:
    if include_reasoning and (why := reasoning_text(turn)):
        return f"<reasoning>\n{why}\n</reasoning>\n{turn.text}"
    return turn.text


def _conversation(dialogue: Dialogue, include_reasoning: bool) -> list[tuple[str, str]]:
    messages = [("system", SYSTEM_PROMPT), ("user", _problem_message(dialogue))]
    for turn in dialogue.turns:
        if turn.role == "tutor":
            messages.append(("assistant", _tutor_content(turn, include_reasoning)))
        else:
            messages.append(("user", _student_content(turn)))
    return messages


def to_openai(dialogue: Dialogue, *, include_reasoning: bool = False) -> dict[str, Any]:
    """One line of an OpenAI chat fine-tuning file: `{"messages": [{"role", "content"}, ...]}`."""
    return {"messages": [{"role": r, "content": c} for r, c in _conversation(dialogue, include_reasoning)]}


_SHAREGPT_ROLE = {"system": "system", "user": "human", "assistant": "gpt"}


def to_sharegpt(dialogue: Dialogue, *, include_reasoning: bool = False) -> dict[str, Any]:
    """One ShareGPT record: `{"id", "conversations": [{"from": system|human|gpt, "value"}, ...]}`."""
    return {
        "id": dialogue.id,
        "conversations": [
            {"from": _SHAREGPT_ROLE[r], "value": c} for r, c in _conversation(dialogue, include_reasoning)
        ],
    }


def iter_run_dialogues(run_dir: str | Path, *, include_rejected: bool = False) -> Iterator[Dialogue]:
    """The dialogues of a run folder (accepted ones; rejected ones too when asked)."""
    folder = RunFolder(run_dir)
    if not folder.file("dialogues").exists() and not folder.file("rejected").exists():
        raise NotFoundError(f"no dialogues in {run_dir}", "give a folder written by `socratic generate`")
    kinds: tuple[Literal["dialogues", "rejected"], ...] = (
        ("dialogues", "rejected") if include_rejected else ("dialogues",)
    )
    for kind in kinds:
        for record in folder.read(kind):
            yield Dialogue.model_validate(record)


def export_run(
    run_dir: str | Path,
    fmt: Format,
    out: str | Path,
    *,
    include_reasoning: bool = False,
    include_rejected: bool = False,
) -> int:
    """Write a run's dialogues to `out` (JSONL) in `fmt`; returns how many were written."""
    convert = to_openai if fmt == "openai" else to_sharegpt
    count = 0
    with atomic_writer(out) as handle:
        for dialogue in iter_run_dialogues(run_dir, include_rejected=include_rejected):
            line = json.dumps(convert(dialogue, include_reasoning=include_reasoning), ensure_ascii=False) + "\n"
            handle.write(line.encode("utf-8"))
            count += 1
    return count
