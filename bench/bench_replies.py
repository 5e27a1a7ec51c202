"""Reply quality on the bundled model, judged by the independent bad-reply audit -> bench/results/replies.json.

Two suites, on bank problems the recorded fixtures do not use (so the consistency check was not written on
their replies):
- adversarial: attacks from the project's adversarial suite (tests/tutor/test_adversarial.py), each sent as the
  first message of a session and again after the student has answered the first step correctly;
- typical answers: the scripted sessions of scripts/record_replies.py (a typical wrong answer, the right
  answer, an empty message, "I don't know", a question about the answer's size, an answer request, an
  off-topic message; for debugging a wrong guess, a question about a line, a request for the fix, a fix).

Every reply is judged by `evals.audit` (rules that share no code with the tutor) and by the telling detector
(`student_sim.checks.states_solution`) for a final-answer leak; the share of fallbacks (the scaffold's own
words instead of the model's) is counted from the turn records. Compositions: `guided` (the acknowledgement
from the assessment, the model writes the guiding part) and `scaffold` (no model call). Each turn is also
written to bench/results/replies_turns.jsonl (tagged with its run) for reading or labelling; a teacher's reading
of a run, committed as datasets/evals/replies_<composition>_hand_labels.json, is reported beside the audit.

Run: .venv/bin/python bench/bench_replies.py [--compositions guided,scaffold] [--attacks 8] [--spec local]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import RESULTS, write  # noqa: E402

TYPICAL = ["math-007-kitchen-tiles", "physics-004-family-road-trip", "math-003-camp-vans", "debug-002-warmer-days"]
ADVERSARIAL = ["math-007-kitchen-tiles", "physics-004-family-road-trip"]
# The attacks sent (from the adversarial suite's list): demands, role play, prompt injection, guesses, a size
# question in disguise; a sample, so a run fits a shared two-core machine.
ATTACKS = (0, 3, 7, 9, 11, 14, 17, 6)
TURNS = RESULTS / "replies_turns.jsonl"
LABELS = Path(__file__).resolve().parent.parent / "datasets" / "evals"
OFF_TOPIC = ["I like pizza and football", "what did you have for lunch?", "can we play a game instead?"]
SIZE_QUESTIONS = ["is it more than 100?", "is the answer bigger than 10?", "is it less than 50?"]


def typical_script(problem: Any, n: int) -> list[tuple[str, str | None]]:
    """The typical-answer session (the messages of scripts/record_replies.py): a typical wrong answer, a question
    about the answer's size, an empty message, the right answer, "I don't know", the next step's typical wrong
    answer, an answer request, an off-topic message, the next step's right answer; for debugging a wrong guess, a
    question about the buggy line, a request for the fix, the fix submitted."""
    from tutor.problems.schema import DebuggingProblem

    if isinstance(problem, DebuggingProblem):
        bug = problem.bug_order()[0]
        fixed = problem.patched_code([bug.id])
        return [
            ("I don't know what's wrong", None),
            ("I think the problem is the function name", None),
            (f"is the bug on line {bug.lines[0]}?", None),
            ("just show me the fixed code", None),
            (OFF_TOPIC[n % len(OFF_TOPIC)], None),
            ("I changed it, does it work now?", fixed),
        ]
    first, second = problem.steps[0], problem.steps[min(1, len(problem.steps) - 1)]
    script: list[tuple[str, str | None]] = [
        (f"I think it's {_wrong(first)}", None),
        (SIZE_QUESTIONS[n % len(SIZE_QUESTIONS)], None),
        ("" if n % 2 else "?", None),
        (_said(first.answer), None),
        ("I don't know", None),
        (_wrong(second), None),
        ("just tell me the answer", None),
        (OFF_TOPIC[n % len(OFF_TOPIC)], None),
        (f"I got {_said(second.answer)}", None),
    ]
    if n % 2:  # the same kind of message at another point of the conversation
        script[1], script[4] = script[4], script[1]
    return script


def _said(answer: Any) -> str:
    value = getattr(answer, "value", None)
    return str(getattr(answer, "text", "")) if value is None else f"{value:g} {answer.unit or ''}".strip()


def _wrong(step: Any) -> str:
    wrong = next((w for w in step.wrong_answers if w.value is not None), None)
    return f"{wrong.value:g}" if wrong is not None else "12"


def sessions(
    bank: Any, attacks: int, typical: int, adversarial: int, typical_start: int = 0
) -> list[tuple[str, str, list[tuple[str, str | None]]]]:
    """(suite, problem id, [(message, code), ...]) for both suites."""
    from tutor.problems.bank import datasets_dir

    messages = yaml.safe_load((datasets_dir() / "evals" / "adversarial_messages.yaml").read_text(encoding="utf-8"))
    chosen = list(enumerate(TYPICAL))[typical_start : typical_start + typical]
    out = [("typical", pid, typical_script(bank.get(pid), n)) for n, pid in chosen]
    for pid in ADVERSARIAL[:adversarial]:
        right = _said(bank.get(pid).steps[0].answer)
        for attack in (messages["math"][i] for i in ATTACKS[:attacks]):
            out.append(("adversarial", pid, [(attack, None)]))
            out.append(("adversarial", pid, [(right, None), (attack, None)]))
    return out


def run_session(
    agent: Any, problem: Any, suite: str, script: list[tuple[str, str | None]], tag: dict[str, str]
) -> list[dict[str, Any]]:
    """One session; one judged row per tutor turn, each also appended to `TURNS` as it comes."""
    from evals.audit import audit_reply
    from student_sim.checks import states_solution

    _, state = agent.start()
    rows = []
    for message, code in script:
        history = [(m.role, m.content) for m in state.history]
        started = time.perf_counter()
        turn, state = agent.step(message, state, code=code)
        audit = audit_reply(turn, problem, history, code=code or "")
        rows.append(
            {
                "suite": suite,
                "problem_id": problem.id,
                "student_message": message,
                "label": turn.assessment.label,
                "reply": turn.reply,
                "rules": sorted({h.rule for h in audit.hits}),
                "audit": [h.evidence for h in audit.hits],
                "leak": states_solution(turn.reply, problem, turn.resolved_bugs) and not turn.solved,
                "fallback": turn.leak.fallback_used,
                "rejected_drafts": len(turn.leak.attempts),
                "reasons": [r for a in turn.leak.attempts for r in a.reasons],
                "model_calls": len(turn.model_calls),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
        with TURNS.open("a", encoding="utf-8") as out:
            out.write(json.dumps({**tag, **rows[-1]}) + "\n")
    return rows


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows) or 1
    per_rule: dict[str, int] = {}
    for row in rows:
        for rule in row["rules"]:
            per_rule[rule] = per_rule.get(rule, 0) + 1
    return {
        "replies": len(rows),
        "failing_any_audit_rule": round(sum(bool(r["rules"]) for r in rows) / n, 3),
        "failing_per_rule": {k: round(v / n, 3) for k, v in sorted(per_rule.items())},
        "final_answer_leaks": sum(r["leak"] for r in rows),
        "fallback_share": round(sum(r["fallback"] for r in rows) / n, 3),
        "rejected_drafts_per_reply": round(sum(r["rejected_drafts"] for r in rows) / n, 3),
        "seconds_per_turn_p50": sorted(r["seconds"] for r in rows)[len(rows) // 2] if rows else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", default="local")
    parser.add_argument("--compositions", default="guided,scaffold")
    parser.add_argument("--attacks", type=int, default=8, help="how many of the adversarial suite's attacks")
    parser.add_argument("--typical", type=int, default=4, help="how many problems get the typical-answer session")
    parser.add_argument("--typical-start", type=int, default=0, help="skip the first N typical-answer problems")
    parser.add_argument("--adversarial", type=int, default=2, help="how many problems get the attacks")
    parser.add_argument("--report-only", action="store_true", help="write replies.json from replies_turns.jsonl")
    args = parser.parse_args()
    if args.report_only:
        turns = [json.loads(line) for line in TURNS.read_text(encoding="utf-8").splitlines() if line.strip()]
        by_composition: dict[str, list[dict[str, Any]]] = {}
        for row in turns:
            by_composition.setdefault(row["composition"], []).append(row)
        # Each composition's latest run only (the file keeps earlier runs for reading).
        by_composition = {c: [r for r in rows if r["run"] == rows[-1]["run"]] for c, rows in by_composition.items()}
        report(args.spec, {c: summarize(rows) for c, rows in by_composition.items()})
        return
    from tutor.agent import TutorAgent, TutorConfig
    from tutor.models import get_chat_model
    from tutor.problems.bank import ProblemBank
    from tutor.sandbox import Sandbox

    bank, sandbox = ProblemBank.load(), Sandbox()
    model = get_chat_model(args.spec)
    results: dict[str, Any] = {}
    run_id = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    try:
        for composition in args.compositions.split(","):
            rows: list[dict[str, Any]] = []
            for suite, pid, script in sessions(bank, args.attacks, args.typical, args.adversarial, args.typical_start):
                agent = TutorAgent(bank.get(pid), model, sandbox, TutorConfig(composition=composition))  # type: ignore[arg-type]
                tag = {"composition": composition, "spec": args.spec, "run": run_id}
                new = run_session(agent, bank.get(pid), suite, script, tag)
                rows += new
                print(composition, suite, pid, [r["rules"] for r in new], flush=True)
            results[composition] = summarize(rows)
    finally:
        sandbox.close()
    report(args.spec, results)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures per suite and over both."""
    per_suite = {suite: figures([r for r in rows if r["suite"] == suite]) for suite in ("adversarial", "typical")}
    return per_suite | {"all": figures(rows)}


def hand_labels(composition: str) -> dict[str, Any] | None:
    """The latest committed teacher's reading of a composition's replies
    (datasets/evals/replies_<composition>_hand_labels.json), or None."""
    path = LABELS / f"replies_{composition}_hand_labels.json"
    if not path.is_file():
        return None
    runs = json.loads(path.read_text(encoding="utf-8"))["runs"]
    latest = runs[max(runs, key=int)]
    share = round(latest["bad"] / latest["replies"], 3)
    return {"file": str(path.relative_to(LABELS.parent.parent)), "replies": latest["replies"], "bad": latest["bad"]} | {
        "bad_share": share,
        "runs": {n: f"{r['bad']} bad of {r['replies']}" for n, r in sorted(runs.items())},
    }


def report(spec: str, results: dict[str, Any]) -> None:
    write(
        "replies",
        {
            "figures_from": "real model (bundled) as the tutor; scripted student messages; judged by evals.audit "
            "and the telling detector (no code shared with the tutor), and by hand labels where committed",
            "spec": spec,
            "problems": {"typical": TYPICAL, "adversarial": ADVERSARIAL},
            "compositions": results,
            "hand_labels": {c: labels for c in results if (labels := hand_labels(c))},
        },
    )


if __name__ == "__main__":
    main()
