"""Record real tutor replies for the bad-reply audit's tests -> tests/fixtures/replies/bundled.jsonl.

A scripted student works through bank and toy problems (math, physics, a few debugging) with the messages
that expose bad replies: the step's typical wrong answer, the correct step answer, an empty or "?" answer,
"I don't know", "just tell me the answer", a question about the size of the answer, an off-topic message.
The tutor is the project's `TutorAgent` on a real model (default: the bundled one). One JSON line per tutor
turn: the session, problem, step, student message, the opening (so the conversation can be rebuilt), and
the `TutorTurn` record less its knowledge state. Sessions already in the output file are skipped, so an interrupted
run resumes.

Run: .venv/bin/python scripts/record_replies.py --out tests/fixtures/replies/bundled.jsonl [--max-minutes 30]
     [--only PROBLEM_ID,...]  (tests/fixtures/replies/heldout.jsonl: the sessions the audit was not tuned on)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.problems.schema import DebuggingProblem, MathProblem, PhysicsProblem  # noqa: E402

STEPPED = [
    "toy-math-pencils",
    "toy-physics-car-distance",
    "math-002-bake-sale-change",
    "physics-003-dropped-phone",
    "toy-math-school-trip",
    "math-005-pizza-slices",
    "physics-012-kettle-energy",
    "math-010-egg-cartons",
    "toy-physics-free-fall",
    "math-022-party-punch-ratio",
    "physics-001-cycle-to-work",
    "math-033-restaurant-tip-split",
]
DEBUGGING = ["toy-debug-average", "toy-debug-max-index", "debug-011-party-guests"]
OFF_TOPIC = [
    "I like pizza and football",
    "what did you have for lunch?",
    "my cat is sleeping on my keyboard lol",
    "can we play a game instead?",
]
SIZE_QUESTIONS = ["is it more than 100?", "is the answer bigger than 10?", "is it less than 50?"]
EMPTY = ["", "?"]


@dataclass(frozen=True)
class ScriptedMessage:
    """One scripted student message: its kind (for the audit's tests), text and submitted code."""

    kind: str
    text: str
    code: str | None = None


def _number(value: float) -> str:
    return (
        f"{value:.2f}"
        if abs(value - round(value)) > 1e-9 and abs(value * 100 - round(value * 100)) < 1e-6
        else f"{value:g}"
    )


def _answer_text(answer: Any) -> str:
    """How a student writes an answer: the number with its unit, or the text."""
    value = getattr(answer, "value", None)
    if value is None:
        return str(getattr(answer, "text", ""))
    unit = getattr(answer, "unit", None)
    if unit == "dollars":
        return f"${_number(value)}"
    return f"{_number(value)} {unit}" if unit else _number(value)


def stepped_script(problem: MathProblem | PhysicsProblem, n: int) -> list[ScriptedMessage]:
    """Eight or nine messages over the first two steps; the order varies a little between problems so that
    the same kind of message is seen at different points of a conversation."""
    first = problem.steps[0]
    wrong = next((w for w in first.wrong_answers if w.value is not None), None)
    script = [
        ScriptedMessage("wrong", f"I think it's {_answer_text(wrong)}" if wrong else "I think it's 12"),
        ScriptedMessage("size_question", SIZE_QUESTIONS[n % len(SIZE_QUESTIONS)]),
        ScriptedMessage("empty", EMPTY[n % 2]),
        ScriptedMessage("correct", _answer_text(first.answer)),
        ScriptedMessage("dont_know", "I don't know"),
    ]
    if n % 2:
        script[1], script[4] = script[4], script[1]
    if len(problem.steps) > 1:
        second = problem.steps[1]
        wrong2 = next((w for w in second.wrong_answers if w.value is not None), None)
        if wrong2 is not None:
            script.append(ScriptedMessage("wrong", _answer_text(wrong2)))
    script += [
        ScriptedMessage("tell_me", "just tell me the answer"),
        ScriptedMessage("off_topic", OFF_TOPIC[n % len(OFF_TOPIC)]),
    ]
    if len(problem.steps) > 1:
        script.append(ScriptedMessage("correct", f"I got {_answer_text(problem.steps[1].answer)}"))
    return script


def debugging_script(problem: DebuggingProblem, n: int) -> list[ScriptedMessage]:
    """Six messages: unsure, a wrong guess, a yes/no question about where the bug is, a request for the fix,
    off-topic, then the first bug's fix submitted as code."""
    bug = problem.bug_order()[0]
    fixed = problem.buggy_code.replace(bug.patch.find, bug.patch.replace, 1)
    return [
        ScriptedMessage("dont_know", "I don't know what's wrong"),
        ScriptedMessage("wrong", "I think the problem is the function name"),
        ScriptedMessage("size_question", f"is the bug on line {bug.lines[0]}?"),
        ScriptedMessage("tell_me", "just show me the fixed code"),
        ScriptedMessage("off_topic", OFF_TOPIC[n % len(OFF_TOPIC)]),
        ScriptedMessage("correct", "I changed it, does it work now?", code=fixed),
        ScriptedMessage("empty", EMPTY[n % 2]),
    ]


def _step_id(state: Any) -> str:
    return state.plan.current or ""


def record_session(agent: Any, session: str, script: list[ScriptedMessage], out: Any, deadline: float) -> int:
    """Drive one session and append one line per tutor turn; returns the number of turns written."""
    opening, state = agent.start()
    written = 0
    for message in script:
        if time.monotonic() > deadline:
            break
        step_id = _step_id(state)
        turn, state = agent.step(message.text, state, code=message.code)
        line = {
            "id": f"{session}#{turn.index}",
            "session": session,
            "problem_id": agent.problem.id,
            "domain": agent.problem.domain,
            "step_id": step_id,
            "kind": message.kind,
            "student_message": message.text,
            "code": message.code or "",
            "opening": opening,
            "assessment": {"label": turn.assessment.label, "misconception": turn.assessment.misconception},
            "decision": {"class_action": turn.decision.class_action, "bridge_strategy": turn.decision.bridge_strategy},
            "reply": turn.reply,
            "leak": {
                "passed": turn.leak.passed,
                "fallback_used": turn.leak.fallback_used,
                "rejected_drafts": len(turn.leak.attempts),
            },
            "turn": turn.model_dump(mode="json", exclude={"knowledge"}),
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
        written += 1
        print(
            f"{line['id']:<36} {message.kind:<14} {turn.assessment.label:<18} {turn.timings.get('total_s', 0):6.1f}s  "
            f"{turn.reply[:90]!r}",
            flush=True,
        )
    return written


def _done_sessions(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {json.loads(line)["session"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the .jsonl file to write (appended to)")
    parser.add_argument("--spec", default="local", help="the tutor's model spec (default: the bundled model)")
    parser.add_argument("--max-minutes", type=float, default=30.0, help="stop starting new turns after this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--only", default="", help="comma-separated problem ids: record only these sessions")
    args = parser.parse_args()

    from tutor.agent import TutorAgent
    from tutor.models.factory import get_chat_model
    from tutor.problems.bank import ProblemBank
    from tutor.sandbox import Sandbox
    from tutor.settings import ModelOptions

    bank = ProblemBank.load()
    model = get_chat_model(args.spec, ModelOptions(seed=args.seed, n_ctx=args.n_ctx))
    done = _done_sessions(args.out)
    sessions: list[tuple[str, list[ScriptedMessage]]] = []
    # Debugging sessions are interleaved so that a run cut short by the time limit still has some.
    for n, pid in enumerate(STEPPED):
        problem = bank.get(pid)
        sessions.append((pid, stepped_script(problem, n)))
        if n % 4 == 1 and n // 4 < len(DEBUGGING):
            debug = bank.get(DEBUGGING[n // 4])
            sessions.append((debug.id, debugging_script(debug, n)))
    if args.only:
        wanted = set(args.only.split(","))
        sessions = [(pid, script) for pid, script in sessions if pid in wanted]
    deadline = time.monotonic() + 60 * args.max_minutes
    args.out.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with Sandbox() as sandbox, args.out.open("a", encoding="utf-8") as out:
        for pid, script in sessions:
            if pid in done:
                continue
            if time.monotonic() > deadline:
                print(f"time limit reached; {pid} and later sessions not recorded", flush=True)
                break
            agent = TutorAgent(bank.get(pid), model, sandbox)
            total += record_session(agent, pid, script, out, deadline)
    print(f"{total} turns written to {args.out}")


if __name__ == "__main__":
    main()
