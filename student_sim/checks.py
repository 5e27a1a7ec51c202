"""Quality filters for generated dialogues, and the leak test behind the `answer_leaked` outcome.

A dialogue is rejected for any of:

* `leak`: a tutor message stated the final answer (math/physics) or a bug's fix (debugging) before the
  student did, and the teacher's policy did not allow revealing it yet. Read from the text by the telling
  detector (`student_sim.telling`), which shares no code with the tutor's guard or answer reader; the
  guard's own verdict does not count (it would grade itself).
* `role_break`: a student message speaks as the tutor, or a tutor message as the student.
* `loop`: the tutor sends the same message (after normalisation) `LOOP_REPEATS` times or more.
* `empty_turn`: a message with no text (and, for a student, no code).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from student_sim.dialogue import DialogueTurn, Outcome, QualityCheck, RejectReason
from student_sim.roles import detect_role_break
from student_sim.telling import answer_key, detect_telling
from tutor.problems.answers import Verdict, check_answer, normalise_text
from tutor.problems.schema import AnyProblem, DebuggingProblem

LOOP_REPEATS = 3


# What counts as stating the solution (a step's result or a dictated operation tells, but is not the answer).
SOLUTION_KINDS = frozenset({"final_answer", "fixed_code", "code_change"})


def states_solution(text: str, problem: AnyProblem, resolved_bugs: Iterable[str] = ()) -> bool:
    """Does `text` state the final answer, or the fix of a bug not yet resolved?"""
    verdict = detect_telling(answer_key(problem), text, resolved_bugs=frozenset(resolved_bugs))
    return bool(SOLUTION_KINDS & set(verdict.kinds))


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
