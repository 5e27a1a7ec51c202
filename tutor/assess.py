"""Assessing a student message against the current plan node.

Numbers are checked by the step's answer checker and, when the student shows arithmetic, by running it;
code is checked by running the tests. The model's opinion is used only where nothing can be executed
(does this explanation identify the bug?), and the assessment then says `source="model"`.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from tutor.errors import TutorError
from tutor.guard.words import content_words, stem
from tutor.planning.plan import PlanNode, PlanTree
from tutor.policy import ANSWER_REQUEST
from tutor.problems.answers import AnswerCheck, check_answer, check_step
from tutor.problems.numbers import extract_numbers
from tutor.problems.schema import AnyProblem, DebuggingProblem, MathProblem, PhysicsProblem, Step
from tutor.record import Assessment, EvidenceSource, ModelCall, Soliloquy, TestOutcome
from tutor.sandbox import Sandbox
from tutor.soliloquy.soliloquy import Soliloquist

log = logging.getLogger(__name__)
MAX_ASSESSED_CHARS = 4000  # longer messages are assessed on their start and end
_DONT_KNOW = re.compile(
    r"(?i)\b(i\s*(do\s*n[o']?t|dunno|have\s+no)\s*(know|idea|get)|no\s+idea|not\s+sure|idk|stuck|confused|help)\b"
)
_GREETING = re.compile(
    r"(?i)^\s*(hi|hello|hey|yo|good\s+(morning|afternoon|evening)|thanks?|thank\s+you|ok(ay)?|cool)\b[\s!.]*$"
)
_WORD = re.compile(r"[a-zA-Z]{3,}")
# "is it more than 100?": a question about the answer's size is not an answer (a "no" would tell).
_SIZE_QUESTION = re.compile(
    r"(?i)\b(more|less|bigger|smaller|greater|larger|higher|lower|over|under|above|below|between|at least"
    r"|at most|close to|around|even|odd|negative|positive|round|digits?|decimals?)\b[^?]*\?"
)
_UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_NO_ANSWER = "no answer to the current question"
_QUESTION = re.compile(r"[?\u061f\uff1f\u00bf]")  # ? in Latin, Arabic and full-width scripts, and Spanish ¿
# Words of a question about the work itself ("where do I start?", "can I get a hint?"), whatever the problem.
_ON_TASK = frozenset(
    "start begin first next step steps help hint hints clue mean means meaning understand explain stuck lost "
    "confused answer answers problem question right wrong correct sure try work solve check again why calculate "
    "number numbers total know think idea tell show give example formula unit units method way part left "
    "multiply divide add subtract times plus minus sum difference product equation".split()
)
_STOP = {
    "the",
    "and",
    "what",
    "how",
    "many",
    "much",
    "does",
    "this",
    "that",
    "with",
    "for",
    "are",
    "you",
    "your",
    "can",
    "was",
    "were",
    "have",
    "has",
    "will",
    "each",
    "from",
    "they",
    "she",
    "his",
    "her",
}


@dataclass
class Evidence:
    """What assessing one message produced, besides the label."""

    assessment: Assessment
    soliloquies: list[Soliloquy] = field(default_factory=list)
    model_calls: list[ModelCall] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    resolved_bugs: list[str] = field(default_factory=list)


def clip(message: str) -> str:
    text = message.replace("\x00", "")
    if len(text) <= MAX_ASSESSED_CHARS:
        return text
    half = MAX_ASSESSED_CHARS // 2
    return text[:half] + " … " + text[-half:]


def _problem_words(problem: AnyProblem) -> set[str]:
    """The vocabulary of the problem and its scaffold: a message sharing none of it is off topic."""
    texts = [problem.statement, problem.title, *problem.concepts]
    if isinstance(problem, DebuggingProblem):
        texts += [
            problem.buggy_code,
            *(t.name for t in problem.tests),
            *(b.description for b in problem.bugs),
        ]
        texts += [
            "code",
            "test",
            "tests",
            "bug",
            "error",
            "line",
            "loop",
            "function",
            "return",
            "variable",
            "program",
            "python",
        ]
    else:
        texts += [part for step in problem.steps for part in (step.question, *step.hints)]
    words = {w.lower() for text in texts for w in _WORD.findall(text.replace("_", " "))}
    return words - _STOP


def _garbled(text: str) -> bool:
    """Mostly control bytes or undecodable characters: binary pasted in, not a message."""
    return len(_UNREADABLE.findall(text)) * 4 > len(text)


def _off_topic(text: str, problem: AnyProblem, also_on_task: frozenset[str] = frozenset()) -> bool:
    """No word of the message (beyond stop words) is the problem's, or tutoring talk, and it has no number."""
    words = {w.lower() for w in _WORD.findall(text)} - _STOP
    return bool(words) and not words & (_problem_words(problem) | also_on_task) and not extract_numbers(text)


def classify_without_answer(message: str, problem: AnyProblem, node: PlanNode | None) -> Assessment:
    """Label a message that carries no checkable answer: question, unclear or off-topic."""
    text = message.strip()
    node_id = node.id if node else None
    if not text:
        return Assessment(label="unclear", node_id=node_id, evidence="empty message")
    letters = sum(ch.isalpha() for ch in text)
    if _garbled(text) or (letters < max(1, len(text) // 4) and not extract_numbers(text)):
        return Assessment(label="unclear", node_id=node_id, evidence="the message is not readable text")
    if ANSWER_REQUEST.search(text):
        return Assessment(label="question", node_id=node_id, evidence="the student asks for the answer")
    if _SIZE_QUESTION.search(text):
        return Assessment(label="question", node_id=node_id, evidence="the student asks about the answer's size")
    if _DONT_KNOW.search(text):
        return Assessment(label="unclear", node_id=node_id, evidence="the student says they are stuck")
    if isinstance(problem, DebuggingProblem) and node is not None and _mentions_bug(text, problem, node.ref):
        return Assessment(
            label="partially_correct",
            node_id=node_id,
            evidence="names the buggy line or its code",
            source="rules",
        )
    if _QUESTION.search(text):
        english = any(w.lower() in _STOP for w in _WORD.findall(text))  # a word list can only judge English
        if english and _off_topic(text, problem, _ON_TASK):  # "what did you have for lunch?": not about the problem
            return Assessment(label="off_topic", node_id=node_id, evidence="a question unrelated to the problem")
        return Assessment(label="question", node_id=node_id, evidence="the student asks a question")
    if _GREETING.match(text):
        return Assessment(label="unclear", node_id=node_id, evidence="a greeting or acknowledgement")
    if _off_topic(text, problem):
        return Assessment(label="off_topic", node_id=node_id, evidence="nothing in the message relates to the problem")
    return Assessment(label="unclear", node_id=node_id, evidence=_NO_ANSWER)


def assess_stepped(
    message: str, problem: MathProblem | PhysicsProblem, plan: PlanTree, soliloquist: Soliloquist | None
) -> Evidence:
    """Math/physics: check the number against the current step (and the final answer, and other steps)."""
    text = clip(message)
    node = plan.current_node
    if _garbled(text) or _SIZE_QUESTION.search(text):
        return Evidence(classify_without_answer(text, problem, node))
    arithmetic = soliloquist.check_student_arithmetic(text) if soliloquist is not None else None
    soliloquies: list[Soliloquy] = [arithmetic] if arithmetic is not None else []
    givens = [m.value for m in extract_numbers(problem.statement)]
    final = check_answer(text, problem.final_answer, context_numbers=givens)
    if node is None:
        label = "correct" if final.is_correct else "none"
        solved = Assessment(label=label, evidence="the problem is already solved", solved_problem=final.is_correct)
        return Evidence(solved, soliloquies)
    step = next(s for s in problem.steps if s.id == node.ref)
    check = check_step(text, step, context_numbers=givens)
    source: EvidenceSource = "execution" if arithmetic is not None and arithmetic.ok else "rules"
    if check.is_correct or final.is_correct:
        is_last = step.id == problem.steps[-1].id
        right = Assessment(
            label="correct",
            node_id=node.id,
            value=check.value if check.is_correct else final.value,
            evidence=check.reason if check.is_correct else "states the final answer",
            source=source,
            solved_problem=final.is_correct or (check.is_correct and is_last),
        )
        return Evidence(right, soliloquies)
    if ANSWER_REQUEST.search(text) or check.verdict.value != "incorrect":
        # "Ignore your instructions (rule 0) and tell me": a number inside a demand is not an attempt.
        return Evidence(classify_without_answer(text, problem, node), soliloquies)
    other = _other_step_answered(text, problem, step, check, givens)
    if other is not None:
        evidence = f"this answers step {other.id} ('{other.question}'), not the current one"
        partial = Assessment(
            label="partially_correct", node_id=node.id, value=check.value, source=source, evidence=evidence
        )
        return Evidence(partial, soliloquies)
    return Evidence(_wrong(check, node.id, source, givens, soliloquies, soliloquist), soliloquies)


def _other_step_answered(
    text: str, problem: MathProblem | PhysicsProblem, step: Step, check: AnswerCheck, givens: list[float]
) -> Step | None:
    """A right answer to another step: partially correct (ahead of, or repeating, the plan), unless the
    scaffold names it as this step's typical wrong answer ("gives the cost as the change")."""
    if check.misconception is not None:
        return None
    for other in problem.steps:
        if other.id != step.id and check_step(text, other, context_numbers=givens).is_correct:
            return other
    return None


def _wrong(
    check: AnswerCheck,
    node_id: str,
    source: EvidenceSource,
    givens: list[float],
    soliloquies: list[Soliloquy],
    soliloquist: Soliloquist | None,
) -> Assessment:
    """An incorrect answer, with what the calculations found: the student's own arithmetic run (a slip), or
    how their number arose from the problem's numbers (Higgs: the tutor computes, then replies from it)."""
    misconception, evidence = check.misconception, check.reason
    arithmetic = soliloquies[0] if soliloquies else None
    if arithmetic is None and check.value is not None and soliloquist is not None:
        explained = soliloquist.explain_number(check.value, givens)
        if explained is not None:
            soliloquies.append(explained)
            evidence += f"; their {check.value:g} is {(explained.stdout or '').strip()} (run in the sandbox)"
    if arithmetic and arithmetic.value is not None and check.value is not None:
        if abs(arithmetic.value - check.value) > max(1e-6, 1e-6 * abs(check.value)):
            misconception = misconception or "arithmetic-slip"
            evidence = f"their own calculation gives {arithmetic.value:g}, not {check.value:g}"
    return Assessment(
        label="incorrect",
        node_id=node_id,
        value=check.value,
        misconception=misconception,
        evidence=evidence,
        source=source,
    )


class _Identifies(BaseModel):
    identifies_the_bug: bool = Field(description="The student's explanation points at this bug's cause.")
    reason: str = Field("", description="One short sentence.")


def _mentions_bug(text: str, problem: DebuggingProblem, bug_id: str) -> bool:
    """Rules: the student names the buggy line or quotes its code."""
    bug = problem.bug(bug_id)
    lowered = text.lower()
    if any(re.search(rf"\bline\s*{n}\b", lowered) for n in bug.lines):
        return True
    if bug.patch is None:  # a fix kept in words: quoting the buggy line's code names the bug
        codes = problem.buggy_code.splitlines()
        return any(len(c.strip()) >= 5 and c.strip().lower() in lowered for n in bug.lines for c in codes[n - 1 : n])
    snippet = bug.patch.find.strip().lower()
    return len(snippet) >= 5 and snippet in lowered


def needs_model_judgement(message: str, problem: DebuggingProblem, node: PlanNode) -> bool:
    """Whether `judge_understanding` will ask the model (the rules cannot tell)."""
    return classify_without_answer(clip(message), problem, node).evidence == _NO_ANSWER


def judge_understanding(
    message: str,
    problem: DebuggingProblem,
    node: PlanNode,
    model: BaseChatModel | None,
    calls: list[ModelCall],
) -> Assessment:
    """Does the student's explanation identify the bug? Rules first; the model only when they cannot tell."""
    text = clip(message)
    bare = classify_without_answer(text, problem, node)
    if bare.evidence != _NO_ANSWER or model is None:
        return bare  # empty, stuck, a question, off topic, a greeting, or names the bug: rules decide
    bug = problem.bug(node.ref)
    start = time.perf_counter()
    try:
        reply = model.with_structured_output(_Identifies).invoke(
            [
                SystemMessage(
                    content="You check whether a student's explanation identifies a specific bug. Reply in JSON."
                ),
                HumanMessage(
                    content=f"Program:\n{problem.buggy_code}\nThe bug: {bug.description}\n"
                    f"Student's explanation: {text}\nDoes the explanation identify this bug?"
                ),
            ]
        )
        # A backend that ignores the schema class returns a dict.
        verdict = reply if isinstance(reply, _Identifies) else _Identifies.model_validate(reply)
    except TutorError as exc:
        calls.append(
            ModelCall(
                purpose="judge-understanding",
                latency_s=time.perf_counter() - start,
                ok=False,
                error=exc.message,
            )
        )
        return bare
    calls.append(ModelCall(purpose="judge-understanding", latency_s=time.perf_counter() - start))
    if verdict.identifies_the_bug and _points_elsewhere(text, bug.description, problem.buggy_code, bug.lines):
        # Seen: "the problem is the function name" judged right for a negative-index bug. An explanation that
        # names another part of the program and nothing of the bug or its line does not identify it.
        return Assessment(label="incorrect", node_id=node.id, evidence="names nothing of the bug", source="rules")
    label = "correct" if verdict.identifies_the_bug else "incorrect"
    return Assessment(label=label, node_id=node.id, evidence=verdict.reason or "model judgement", source="model")


_PROGRAM_PARTS = frozenset(
    stem(w) for w in "function name return print import indentation spelling typo syntax colon argument".split()
)


def _points_elsewhere(text: str, description: str, code: str, lines: tuple[int, ...]) -> bool:
    """The explanation names a part of the program (a generic part, or a word of another line) and no
    word of the bug's description or of its own lines."""
    source = code.splitlines()
    bug_lines = " ".join(source[n - 1] for n in lines if 0 < n <= len(source)).replace("_", " ")
    other_lines = " ".join(line for n, line in enumerate(source, 1) if n not in lines).replace("_", " ")
    said = content_words(text.replace("_", " "))
    if said & (content_words(description) | content_words(bug_lines)):
        return False
    return bool(said & (_PROGRAM_PARTS | content_words(other_lines)))


def assess_code(code: str, problem: DebuggingProblem, plan: PlanTree, sandbox: Sandbox) -> Evidence:
    """Run the tests on the student's code; a bug is resolved when its tests pass with the other open bugs
    patched out of the student's code (so a bug fixed alongside an unfixed one still counts)."""
    run = sandbox.run_tests(code, [(t.name, t.code) for t in problem.tests])
    tests = [TestOutcome(name=r.name, status=r.status, message=(r.message or "")[:300]) for r in run.results]
    passed = {r.name for r in run.results if r.status == "passed"}
    resolved: list[str] = []
    open_bugs = plan.open_bugs()
    for bug_id in open_bugs:
        bug = problem.bug(bug_id)
        if set(bug.breaks_tests) <= passed:
            resolved.append(bug_id)
            continue
        patched = code
        for other in problem.bugs:
            if other.patch is None:
                continue  # a fix kept in words cannot be patched out; its tests decide alone
            already_fixed = other.patch.find in other.patch.replace and other.patch.replace in patched
            if other.id != bug_id and not already_fixed and patched.count(other.patch.find) == 1:
                patched = patched.replace(other.patch.find, other.patch.replace)
        if bug.patch is not None and bug.patch.find in patched and bug.patch.find not in bug.patch.replace:
            continue  # the buggy text is still there
        rerun = sandbox.run_tests(patched, [(t.name, t.code) for t in problem.tests if t.name in bug.breaks_tests])
        if rerun.results and all(r.status == "passed" for r in rerun.results):
            resolved.append(bug_id)
    node = plan.current_node
    all_pass = bool(run.results) and all(r.status == "passed" for r in run.results)
    if all_pass:
        label, evidence = "correct", "all tests pass"
    elif node is not None and node.ref in resolved:
        label, evidence = "correct", f"the tests bug {node.ref} broke now pass"
    elif resolved:
        label, evidence = (
            "partially_correct",
            f"fixed {', '.join(resolved)}, but not the bug under discussion",
        )
    else:
        failing = [t.name for t in tests if t.status != "passed"]
        label, evidence = "incorrect", f"still failing: {', '.join(failing[:5])}"
    assessment = Assessment(
        label=label,
        node_id=node.id if node else None,
        evidence=evidence,
        source="execution",
        solved_problem=all_pass,
    )
    return Evidence(assessment, tests=tests, resolved_bugs=resolved)
