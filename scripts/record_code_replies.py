"""Record bundled-model replies to requests for code on word problems -> tests/fixtures/replies/code_replies.jsonl.

The tutor runs with its checks off (`use_guard=False`) and the `free` composition, so the model's first draft
is what is recorded: the consistency check's tests need replies that write code or talk about program lines
in a word problem, as the bundled model does when a student asks for a program. One JSON line per reply: id
(`PROBLEM#codeN`), problem, student message, opening, reply, assessment and the move's notes.

Run: .venv/bin/python scripts/record_code_replies.py [--out tests/fixtures/replies/code_replies.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.agent import TutorAgent, TutorConfig  # noqa: E402
from tutor.models import get_chat_model  # noqa: E402
from tutor.problems.bank import ProblemBank  # noqa: E402
from tutor.sandbox import Sandbox  # noqa: E402

PROBLEMS = ["toy-math-pencils", "math-002-bake-sale-change", "toy-physics-car-distance", "math-010-egg-cartons"]
MESSAGES = [
    "Show me Python code that works it out",
    "write a python program for this step so I can run it",
    "can you give me the corrected code?",
    "which line of my code is wrong?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="tests/fixtures/replies/code_replies.jsonl")
    parser.add_argument("--spec", default="local")
    args = parser.parse_args()
    bank, sandbox, model = ProblemBank.load(), Sandbox(), get_chat_model(args.spec)
    config = TutorConfig(composition="free", use_guard=False, reply_max_tokens=200)
    try:
        with open(args.out, "w", encoding="utf-8") as out:
            for pid in PROBLEMS:
                agent = TutorAgent(bank.get(pid), model, sandbox, config)
                opening, state = agent.start()
                for i, message in enumerate(MESSAGES):
                    turn, _ = agent.step(message, state)  # each message answers the opening
                    row = {
                        "id": f"{pid}#code{i}",
                        "problem_id": pid,
                        "student_message": message,
                        "opening": opening,
                        "reply": turn.reply,
                        "assessment": turn.assessment.model_dump(),
                        "move_text": turn.decision.move_text,
                    }
                    out.write(json.dumps(row) + "\n")
                    out.flush()
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
