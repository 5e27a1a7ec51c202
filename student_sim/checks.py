"""Quality filters for generated dialogues, and the leak test behind the `answer_leaked` outcome.

A dialogue is rejected for any of:

* `leak`: a tutor message stated the final answer (math/physics) or a bug's fix (debugging) before the
  student did, and the teacher's policy did not allow revealing it yet. Checked on the text with the same
  answer reader the tutor uses, independently of the tutor's own guard verdict (which also counts).
* `role_break`: a student message speaks as the tutor, or a tutor message as the student.
* `loop`: the tutor sends the same message (after normalisation) `LOOP_REPEATS` times or more.
* `empty_turn`: a message with no text (and, for a student, no code).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from student_sim.dialogue import DialogueTurn, Outcome, QualityCheck, RejectReason
from student_sim.roles import detect_role_break
from tutor.problems.answers import Verdict, check_answer, extract_numbers, mentions_answer, normalise_text
from tutor.problems.schema import DebuggingProblem, MathProblem, NumericAnswer, PhysicsProblem

AnyProblem = MathProblem | PhysicsProblem | DebuggingProblem
LOOP_REPEATS = 3


def states_solution(text: str, problem: AnyProblem, resolved_bugs: Iterable[str] = ()) -> bool:
    """Does `text` state the final answer, or the fix of a bug not yet resolved?"""
    if isinstance(problem, DebuggingProblem):
        done = set(resolved_bugs)
        for bug in problem.bugs:
            if bug.patch is None:
                continue  # a fix kept in words has no code to quote
            fix = bug.patch.replace.strip()
            if bug.id not in done and len(fix) >= 4 and fix not in problem.buggy_code and fix in text:
                return True
        return False
    final = problem.final_answer
    if isinstance(final, NumericAnswer):
        if any(abs(m.value - final.value) <= final.tolerance for m in extract_numbers(problem.statement)):
            return False  # the problem itself gives that number: stating it reveals nothing
        return bool(mentions_answer(text, final))
    said = normalise_text(text)
    forms = [normalise_text(t) for t in (final.text, *final.accept)]
    return any(f and (len(f.split()) >= 2 or len(f) >= 5) and f in said for f in forms)


def student_stated_solution(text: str, problem: AnyProblem) -> bool:
    """Did the student state the final answer (math/physics) in `text`?"""
    if isinstance(problem, DebuggingProblem):
        return False
    return check_answer(text, problem.final_answer).verdict is Verdict.CORRECT


def quality_check(turns: list[DialogueTurn], outcome: Outcome) -> QualityCheck:
    """Run every filter; `passed` is True when none fails."""
    failed: dict[RejectReason, bool] = {}
    details: list[str] = []
    if outcome.leaked and not outcome.reveal_allowed:
        failed["leak"] = True
        details.append(f"leak: tutor message {outcome.leak_turn} states the answer before the student did")
    breaks = [(t.index, t.role, b) for t in turns if (b := detect_role_break(t.text, speaker=t.role)) is not None]
    if breaks:
        failed["role_break"] = True
        details += [f"role_break: {role} message {i} ({kind})" for i, role, kind in breaks[:5]]
    repeats = Counter(normalise_text(t.text) for t in turns if t.role == "tutor" and t.text.strip())
    looped = [(text, n) for text, n in repeats.items() if n >= LOOP_REPEATS]
    if looped:
        failed["loop"] = True
        details += [f"loop: the tutor said {text[:60]!r} {n} times" for text, n in looped[:3]]
    empty = [t.index for t in turns if not t.text.strip() and not (t.role == "student" and t.code)]
    if empty:
        failed["empty_turn"] = True
        details.append(f"empty_turn: messages {empty[:10]}")
    return QualityCheck(passed=not failed, details="; ".join(details), **failed)
