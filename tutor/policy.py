"""From an assessment to the tutor's move: plan update, decision labels and the scaffold content to say.

This is where the CLASS scaffold and the TreeInstruct question tree turn into behaviour. The move text
is what the reply must convey; it comes from the problem's scaffold (questions, hint ladders, wrong-answer
feedback), never from the model, so a reply can always fall back to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.planning.plan import Outcome, PlanNode, PlanTree, PlanUpdate
from tutor.problems.ladders import HINT_LEVELS, HintLevel
from tutor.problems.schema import AnyProblem, DebuggingProblem, MathProblem, PhysicsProblem, Step
from tutor.record import (
    Assessment,
    AssessmentLabel,
    BridgeError,
    BridgeIntention,
    BridgeStrategy,
    ClassAction,
    Decision,
    HintGiven,
    SubproblemState,
)

ANSWER_REQUEST = re.compile(
    r"(?i)(just\s+(tell|give|say|show)|tell\s+me\s+the|give\s+me\s+the|what('?s|\s+is)\s+the\s+(final\s+)?(answer|solution|result)|"
    r"the\s+answer\s+(please|pls)|write\s+the\s+(fixed|correct|right)\s+code|show\s+me\s+the\s+(fix|solution|code)|"
    r"ignore\s+(all\s+)?(previous|prior|your)\s+instructions|teacher\s+said|allowed\s+to\s+tell|what\s+did\s+(your|the)\s+(python|code|program)\s+print)"
)


@dataclass(frozen=True)
class Move:
    """The tutor's decision for this turn and the plan updates it implies."""

    decision: Decision
    updates: tuple[PlanUpdate, ...]
    counts_as_failure: bool = False


def _move(
    node: PlanNode,
    outcome: Outcome,
    evaluation: AssessmentLabel,
    action: ClassAction,
    strategy: BridgeStrategy,
    intention: BridgeIntention,
    text: str,
    *,
    state: SubproblemState = "in_progress",
    error: BridgeError = "not-applicable",
    failure: bool = False,
    hint: HintGiven | None = None,
) -> Move:
    """One move at one node, labelled in both taxonomies (CLASS action/state, Bridge error/strategy/intention)."""
    decision = Decision(
        class_evaluation=evaluation,
        class_action=action,
        subproblem_state=state,
        bridge_error=error,
        bridge_strategy=strategy,
        bridge_intention=intention,
        move_text=text,
        hint=hint,
    )
    return Move(decision, updates=(PlanUpdate(node_id=node.id, outcome=outcome),), counts_as_failure=failure)


def _step(problem: MathProblem | PhysicsProblem, node: PlanNode) -> Step:
    return next(s for s in problem.steps if s.id == node.ref)


def _hint(hints: tuple[str, ...] | list[str], level: int) -> str:
    return hints[min(level, len(hints) - 1)] if hints else ""


def _nudge(hint: str, question: str) -> str:
    """Move text for a hint: a hint that is a question is asked; a statement is given, then the question."""
    if not hint or hint.rstrip().endswith("?"):
        return f"Ask: {hint or question}"
    return f"Give this hint: {hint} Ask: {question}" if question else f"Give this hint: {hint}"


def bug_hints(problem: DebuggingProblem, node: PlanNode) -> list[str]:
    """A hint ladder for a bug (the schema has none): failing test -> the line -> the idea."""
    bug = problem.bug(node.ref)
    test = bug.breaks_tests[0]
    lines = ", ".join(str(n) for n in bug.lines)
    line_word = "line" if len(bug.lines) == 1 else "lines"
    if node.kind == "understand":
        return [
            f"Look at the test {test}: what does it expect, and what does the program do instead?",
            f"Look closely at {line_word} {lines}. What does it do on each pass, step by step?",
            f"Try tracing {line_word} {lines} by hand with a small input. "
            "What value do you get, and what should it be?",
        ]
    return [
        f"How would you change {line_word} {lines} so that {test} passes? Edit the code and run the tests.",
        f"Read {line_word} {lines} again: what exactly does Python need there to do what you intend?",
        f"Focus on {line_word} {lines} only. Change it, then run the tests to see which ones pass now.",
    ]


def bug_hint_ladder(problem: DebuggingProblem, node: PlanNode) -> list[HintGiven]:
    """The bug's hint ladder for this node: validated hints (`Bug.hint_ladder`) where a level has one, else
    the generic templates of `bug_hints`.

    Understanding a bug walks pointer -> conceptual -> next step. Fixing it asks for the change first; the
    validated next-step hint then replaces the second template.
    """
    bug = problem.bug(node.ref)
    validated = {h.level: h for h in bug.hint_ladder}
    templates = bug_hints(problem, node)
    levels: tuple[HintLevel, ...] = (
        HINT_LEVELS if node.kind == "understand" else ("next_step", "next_step", "next_step")
    )
    use_validated = (True, True, True) if node.kind == "understand" else (False, True, False)
    ladder = []
    for level, template, may in zip(levels, templates, use_validated, strict=True):
        found = validated.get(level) if may else None
        if found is None:
            ladder.append(HintGiven(bug_id=bug.id, level=level, text=template, source="template"))
            continue
        ladder.append(
            HintGiven(
                bug_id=bug.id,
                level=level,
                text=found.text,
                source="validated",
                n1=found.n1,
                n2=found.n2,
                attempts=found.attempts,
                attempts_without=found.attempts_without,
                student_model=found.student_model,
                hint_model=found.hint_model,
            )
        )
    return ladder


def next_question(problem: AnyProblem, plan: PlanTree) -> str:
    """What the tutor asks next, from the plan (used for moves and as the safe fallback)."""
    node = plan.current_node
    if node is None:
        return "How would you check your answer?"
    if isinstance(problem, DebuggingProblem):
        ladder = bug_hint_ladder(problem, node)
        if node.kind == "understand" or node.failures == 0:
            return ladder[0].text
        return ladder[min(node.hint_level, 2)].text
    return _step(problem, node).question


def other_guidance(problem: AnyProblem, plan: PlanTree) -> list[str]:
    """The current node's other authored guidance, most help first: the bug's hint ladder, or the step's hints
    each with its question. The reply falls back on these when its own guidance was just said (a student who
    asks again should not get the same sentence twice in a row)."""
    node = plan.current_node
    if node is None:
        return []
    if isinstance(problem, DebuggingProblem):
        rungs = [h.text for h in bug_hint_ladder(problem, node)]
        hints, question = rungs[::-1], rungs[0]
    else:
        step = _step(problem, node)
        hints, question = list(step.hints)[::-1], step.question
    return [h if h.rstrip().endswith("?") else f"{h} {question}" for h in hints]


def decide(assessment: Assessment, problem: AnyProblem, plan: PlanTree, message: str, allow_reveal: bool) -> Move:
    """Choose the move for this assessment (see the module docstring)."""
    node = plan.current_node
    if node is None or assessment.solved_problem:
        finished = Decision(
            class_evaluation=assessment.label,
            class_action="confirm_solution",
            subproblem_state="all_completed",
            bridge_strategy="affirm",
            bridge_intention="signal_goal",
            move_text="The student has solved the whole problem. "
            "Congratulate them warmly and ask how they could check their result.",
        )
        leaves = [n for n in plan.nodes if n.status != "done" and not plan.children(n.id)]
        return Move(finished, updates=tuple(PlanUpdate(node_id=n.id, outcome="advance") for n in leaves))
    if isinstance(problem, DebuggingProblem):
        return _decide_debugging(assessment, problem, plan, node, message, allow_reveal)
    return _decide_stepped(assessment, problem, plan, node, message, allow_reveal)


def _after_advance(problem: AnyProblem, plan: PlanTree, node: PlanNode) -> str:
    after = plan.apply(PlanUpdate(node_id=node.id, outcome="advance"))
    if after.current_node is None:
        return "That was the last step. Ask: So what is the answer to the whole problem?"
    return f"Ask: {next_question(problem, after)}"


def _decide_stepped(
    a: Assessment,
    problem: MathProblem | PhysicsProblem,
    plan: PlanTree,
    node: PlanNode,
    message: str,
    allow_reveal: bool,
) -> Move:
    step = _step(problem, node)
    hint = _hint(step.hints, node.hint_level)
    if a.label == "correct":
        text = f"Their answer is right; say so briefly. {_after_advance(problem, plan, node)}"
        return _move(node, "advance", "correct", "affirm_and_advance", "affirm", "elaborate", text, state="completed")
    if a.label == "partially_correct":
        text = (
            f"Their number answers a different part of the problem. Do not say the correct value. Ask: {step.question}"
        )
        return _move(
            node, "hold", "partially_correct", "give_feedback", "ask_question", "clarify", text, error="misinterpret"
        )
    if a.label != "incorrect":
        return _decide_other(a, node, message, question=step.question, hint=hint)
    wrong = next((w for w in step.wrong_answers if w.misconception == a.misconception), None)
    if plan.needs_teaching(node.id):
        text = (
            "They have struggled with this step several times. "
            f"Teach briefly: {step.hints[-1] if step.hints else hint} "
            f"Do not say the correct value. Ask: {step.question}"
        )
        if allow_reveal:
            answer = getattr(step.answer, "value", getattr(step.answer, "text", ""))
            text = f"The teacher allows revealing this step now: the answer is {answer}. Explain why, then continue."
        return _move(
            node,
            "teach",
            "incorrect",
            "teach",
            "explain_concept",
            "explain_mistake",
            text,
            error="misinterpret" if wrong else "diagnose",
            failure=True,
        )
    if wrong is not None:
        text = (
            f"The answer is not right: {wrong.description[0].lower() + wrong.description[1:]} "
            f"Do not say the correct value. Ask: {wrong.feedback}"
        )
        return _move(
            node,
            "retry",
            "incorrect",
            "give_feedback",
            "ask_question",
            "hint_at_mistake",
            text,
            error="misinterpret",
            failure=True,
        )
    if a.misconception == "arithmetic-slip":
        text = (
            f"Their method may be fine but the arithmetic is off ({a.evidence}). Do not say the correct value. "
            "Ask: Can you redo that calculation carefully?"
        )
        return _move(
            node, "retry", "incorrect", "give_hint", "hint", "hint_at_mistake", text, error="careless", failure=True
        )
    text = f"The answer is not right. Do not say the correct value. {_nudge(hint, step.question)}"
    return _move(node, "retry", "incorrect", "give_hint", "hint", "diagnose", text, error="guess", failure=True)


def _decide_other(
    a: Assessment,
    node: PlanNode,
    message: str,
    question: str,
    hint: str,
    given: tuple[HintGiven | None, HintGiven | None] = (None, None),
) -> Move:
    """Questions, unclear and off-topic messages: no progress, but a useful nudge.

    `given` says which ladder hints `question` and `hint` are (debugging), for the turn record.
    """
    asked, hinted = given
    if ANSWER_REQUEST.search(message):
        text = (
            "They want the answer. Kindly say you will not give it, because working it out is how they learn. "
            + _nudge(hint, question)
        )
        return _move(node, "hold", a.label, "answer_question", "hint", "support_thinking", text, hint=hinted)
    if a.label == "question":
        text = f"Answer their question briefly without solving it for them. {_ask(question)}"
        return _move(node, "hold", "question", "answer_question", "explain_concept", "clarify", text, hint=asked)
    if a.label == "off_topic":
        text = f"Their message is off topic. Gently bring them back. {_ask(question)}"
        return _move(node, "hold", "off_topic", "redirect", "ask_question", "signal_goal", text, hint=asked)
    if "stuck" in a.evidence:
        text = f"They are stuck. Encourage them. {_nudge(hint, question)}"
        return _move(node, "retry", "unclear", "encourage", "encourage", "motivate", text, hint=hinted)
    return _move(node, "hold", "unclear", "re_ask", "simplify", "signal_goal", _ask(question), hint=asked)


def _ask(text: str) -> str:
    """Move text for a ladder entry: a question is asked, a validated statement is given as a hint."""
    return f"Ask: {text}" if text.rstrip().endswith("?") else f"Give this hint: {text}"


def _decide_debugging(
    a: Assessment, problem: DebuggingProblem, plan: PlanTree, node: PlanNode, message: str, allow_reveal: bool
) -> Move:
    ladder = bug_hint_ladder(problem, node)
    bug = problem.bug(node.ref)
    deeper = ladder[min(node.hint_level + 1, 2)]
    if a.label == "correct":
        if node.kind == "understand":
            first = bug_hint_ladder(problem, plan.node(f"{bug.id}.fix"))[0]
            text = f"They understood the bug; confirm briefly. {_ask(first.text)}"
            return _move(
                node,
                "advance",
                "correct",
                "affirm_and_advance",
                "affirm",
                "elaborate",
                text,
                state="completed",
                hint=first,
            )
        text = f"Their fix for this bug works; praise it. {_after_advance(problem, plan, node)}"
        return _move(node, "resolve", "correct", "affirm_and_advance", "affirm", "elaborate", text, state="completed")
    if a.label == "partially_correct":
        text = f"They are on the right track ({a.evidence}). {_ask(deeper.text)}"
        return _move(
            node,
            "retry",
            "partially_correct",
            "give_feedback",
            "ask_question",
            "support_thinking",
            text,
            error="right-idea",
            hint=deeper,
        )
    if a.label != "incorrect":
        current = ladder[min(node.hint_level, 2)]
        return _decide_other(a, node, message, question=ladder[0].text, hint=current.text, given=(ladder[0], current))
    if plan.needs_teaching(node.id):
        text = (
            f"Explain briefly what goes wrong: {bug.description} "
            "Do not give the corrected code. Ask: How would you change the code?"
        )
        if allow_reveal:
            text = f"The teacher allows showing the fix now: {bug.fix} Explain why it works."
        return _move(
            node,
            "teach",
            "incorrect",
            "teach",
            "explain_concept",
            "explain_mistake",
            text,
            error="diagnose",
            failure=True,
        )
    text = f"Not yet ({a.evidence}). {_ask(deeper.text)}"
    return _move(
        node,
        "retry",
        "incorrect",
        "give_hint",
        "hint",
        "hint_at_mistake",
        text,
        error="diagnose",
        failure=True,
        hint=deeper,
    )
