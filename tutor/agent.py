"""The Socratic tutor: `TutorAgent.step(student_message, state) -> (TutorTurn, state)`.

One turn: assess the message against the current plan node (rules, executed code, tests; the model only
where nothing can be executed), update knowledge and plan, decide the move from the scaffold, compose the
reply with one model call on the fast path, and vet it with the leak guard. Pure with respect to storage
and UI: the caller persists the state and shows the record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from tutor.acknowledge import acknowledgement
from tutor.assess import (
    Evidence,
    assess_code,
    assess_stepped,
    classify_without_answer,
    clip,
    judge_understanding,
    needs_model_judgement,
)
from tutor.compose import (
    Composition,
    ReplyRequest,
    RetryBuilder,
    Vet,
    authored_guidance,
    authored_reply,
    build_messages,
    problem_text,
    render,
    reply_vetter,
    vetted_stream,
)
from tutor.fewshot import examples_for
from tutor.guard.consistency import ConsistencyCheck, TurnFacts, unreached_steps
from tutor.guard.leak import LeakGuard
from tutor.hint_budget import budgeted
from tutor.planning.knowledge import KnowledgeState
from tutor.planning.plan import PlanTree, PlanUpdate
from tutor.policy import decide, next_question, other_guidance
from tutor.preempt import note_misconception, preempt_decision
from tutor.problems.numbers import extract_numbers
from tutor.problems.schema import AnyProblem, DebuggingProblem
from tutor.record import Assessment, Decision, Message, Soliloquy, TutorState, TutorTurn
from tutor.sandbox import Sandbox
from tutor.soliloquy.soliloquy import Soliloquist
from tutor.turn_config import TutorConfig as TutorConfig  # re-exported: callers build agents from here

MAX_MESSAGE_CHARS = 20_000


def _question_in(move_text: str) -> str:
    """The question a move asks (the text after 'Ask: '), for replies that forget to ask it."""
    _, _, question = move_text.partition("Ask: ")
    return question.strip() if question.strip().endswith("?") else ""


def _last_tutor(state: TutorState) -> str:
    """What the tutor said last ("" before its first reply)."""
    return next((m.content for m in reversed(state.history) if m.role == "tutor"), "")


def _window(history: list[Message], keep: int) -> list[Message]:
    """The last `keep` messages at most, with a start that moves in steps of half the window: a window
    sliding by one turn every turn would change the prompt right after the system message, and the
    engine would process the whole conversation again on every turn instead of only the new turn."""
    if keep <= 0:
        return []
    step = max(1, keep // 2)
    start = -(-max(0, len(history) - keep) // step) * step  # round up to a multiple of `step`
    return history[start:]


@dataclass(frozen=True)
class TurnUpdate:
    """The update stage's result: the new plan and knowledge, the move, and what the policy allows now."""

    plan: PlanTree
    knowledge: KnowledgeState
    decision: Decision
    failures: int
    allow_reveal: bool
    solved: bool
    interventions: int = 0


def calculation_notes(soliloquies: list[Soliloquy]) -> str:
    """What this turn's calculations found, for the reply prompt (Higgs: reply from the result), so the
    feedback can name the actual slip ("their 7.4 is 7 + 0.4")."""
    notes = []
    for s in soliloquies:
        if not s.ok or s.value is None:
            continue
        if s.purpose == "explain the student's number":
            notes.append(f"the student's {s.value:g} is {(s.stdout or '').strip()}.")
        elif s.decided_by == "rules":
            notes.append(f"{s.reason}; running `{s.code}` prints {s.value:g}.")
        else:
            notes.append(f"{s.purpose}: running the program gives {s.value:g}.")
    return " ".join(notes)


WaitForModel = Callable[[], Iterator[object]]


class _Gate:
    """Runs `wait_for_model` once, before the first model call of a turn (none at all when the rules and
    the scaffold answer the turn)."""

    def __init__(self, wait_for_model: WaitForModel | None) -> None:
        self._wait, self.passed = wait_for_model, wait_for_model is None

    def __call__(self) -> Iterator[object]:
        if not self.passed:
            self.passed = True
            yield from self._wait()  # type: ignore[misc]


@dataclass(frozen=True)
class TurnDone:
    """The last item `TutorAgent.stream` yields: the turn record and the new state."""

    turn: TutorTurn
    state: TutorState


class TutorAgent:
    """Tutors one student on one problem. Cheap to build; holds no per-session state itself."""

    def __init__(
        self, problem: AnyProblem, model: BaseChatModel, sandbox: Sandbox, config: TutorConfig | None = None
    ) -> None:
        self.problem = problem
        self.model = model
        self.sandbox = sandbox
        self.config = config or TutorConfig()
        self.soliloquist = (
            Soliloquist(sandbox, model, self.config.max_code_repairs) if self.config.use_soliloquy else None
        )
        self._system = render(
            "assist_system.jinja" if self.config.mode == "assist" else "tutor_system.jinja",
            problem_text=problem_text(problem),
            examples=examples_for(problem),
            guided=self.config.composition != "free",
        )
        bind = getattr(model, "bind", None)
        # The guided composition asks for one guiding sentence: a short budget ends a rambling draft sooner.
        budget = (
            self.config.reply_max_tokens if self.config.composition == "free" else min(self.config.reply_max_tokens, 80)
        )
        self._reply_model = bind(max_tokens=budget) if bind is not None else model

    # -- session start ---------------------------------------------------------------------------
    def start(self) -> tuple[str, TutorState]:
        """The opening message (from the scaffold, no model call) and the initial state."""
        plan = PlanTree.for_problem(self.problem)
        concepts = [c for n in plan.nodes for c in n.concepts] or list(self.problem.concepts)
        state = TutorState(
            problem_id=self.problem.id,
            plan=plan,
            knowledge=KnowledgeState.for_concepts(concepts),
            code=self.problem.buggy_code if isinstance(self.problem, DebuggingProblem) else None,
        )
        if isinstance(self.problem, DebuggingProblem):
            opening = (
                "Let's find out together why this program doesn't work yet. Try running the tests first. "
                f"{next_question(self.problem, plan)}"
            )
        else:
            opening = f"Let's work through this together, one step at a time. {next_question(self.problem, plan)}"
        state = state.model_copy(update={"history": [Message(role="tutor", content=opening)]})
        return opening, state

    # -- one turn --------------------------------------------------------------------------------
    def step(self, student_message: str, state: TutorState, *, code: str | None = None) -> tuple[TutorTurn, TutorState]:
        """One full turn (see the module docstring); the streaming version is `stream`."""
        done = None
        for item in self.stream(student_message, state, code=code):
            if isinstance(item, TurnDone):
                done = item
        assert done is not None
        return done.turn, done.state

    def stream(
        self,
        student_message: str,
        state: TutorState,
        *,
        code: str | None = None,
        wait_for_model: WaitForModel | None = None,
    ) -> Iterator[object]:
        """Yield the vetted reply in pieces as soon as the checks pass them, then a `TurnDone`.

        The turn is a pipeline of stages that return values: assess -> update and decide -> compose -> vet
        (streamed) -> record. `wait_for_model` (the service's fair line for the engine) runs once, right
        before the turn's first model call, and whatever it yields (places in line) is passed on: the rules'
        assessment and the acknowledgement it decides go out before the turn waits for the model.
        """
        started = time.perf_counter()
        gate = _Gate(wait_for_model)
        message = (student_message or "")[:MAX_MESSAGE_CHARS]
        evidence = yield from self._assess(message, state, code, gate)
        update = self._update(message, state, evidence)
        request, vet = self._request(message, state, code, evidence, update)
        if self.config.composition == "scaffold" and self.config.mode == "socratic":
            composition = yield from authored_reply(request, vet, started)
        else:
            composition = yield from vetted_stream(self._reply_model, request, vet, started, before_model=gate)
        yield self._record(message, state, code, evidence, update, composition, started)

    @property
    def can_prefill(self) -> bool:
        """Whether `prefill` does anything: the backend keeps prompt state and the reply uses the model."""
        return callable(getattr(self.model, "prefill", None)) and self.config.composition != "scaffold"

    def prefill(self, state: TutorState) -> float | None:
        """Have the model process this session's stable prompt prefix (system prompt and conversation so
        far) now, while the student reads, so their first turn processes only its own text. Returns the
        seconds it took, or None when the backend keeps no prompt state."""
        if not self.can_prefill:
            return None
        history = _window(state.history, 2 * self.config.history_turns)
        return float(self.model.prefill(build_messages(self._system, history, "")[:-1]))  # type: ignore[attr-defined]

    # -- stages ----------------------------------------------------------------------------------
    def _update(self, message: str, state: TutorState, evidence: Evidence) -> TurnUpdate:
        """Knowledge, plan and the move for this assessment; ablations switch the plan off."""
        assessment = evidence.assessment
        failures = state.failed_attempts
        allow_reveal = (
            self.config.reveal_after_failed_attempts is not None
            and failures >= self.config.reveal_after_failed_attempts
        )
        plan, knowledge = state.plan, self._update_knowledge(state, assessment)
        move = decide(assessment, self.problem, plan, message, allow_reveal)
        decision = move.decision
        if self.config.use_plan:
            for bug_id in evidence.resolved_bugs:
                if bug_id != (plan.current_node.ref if plan.current_node else None):
                    plan = plan.apply(PlanUpdate(node_id=f"{bug_id}.fix", outcome="resolve"))
            move = decide(assessment, self.problem, plan, message, allow_reveal)
            held_back = self._budgeted(move.decision, state, plan, knowledge)[0].intervention == "held_back"
            for plan_update in move.updates:
                if held_back and plan_update.outcome in ("teach", "retry"):
                    # The hint or teaching move was not given: the attempt counts, the ladder stays where it is.
                    plan_update = plan_update.model_copy(update={"outcome": "attempt"})
                plan = plan.apply(plan_update)
            decision = move.decision
            failures += int(move.counts_as_failure)
        else:
            decision = decision.model_copy(
                update={"move_text": "Reply to the student with one guiding question; do not give the answer."}
            )
        if assessment.solved_problem:
            plan = plan.model_copy(update={"current": None})
        decision, interventions = self._budgeted(decision, state, plan, knowledge)
        if self.config.preempt_misconception:
            seen = note_misconception(state.misconceptions_seen, assessment)
            decision = preempt_decision(decision, self.problem, plan, knowledge, seen)
        return TurnUpdate(
            plan=plan,
            knowledge=knowledge,
            decision=decision,
            failures=failures,
            allow_reveal=allow_reveal,
            solved=assessment.solved_problem or state.solved,
            interventions=interventions,
        )

    def _budgeted(
        self, decision: Decision, state: TutorState, plan: PlanTree, knowledge: KnowledgeState
    ) -> tuple[Decision, int]:
        """The move under the teacher's hint budget (`tutor.hint_budget`), and the interventions given so far."""
        if (budget := self.config.hint_budget) is None:
            return decision, state.interventions
        return budgeted(
            decision,
            budget,
            knowledge=knowledge,
            plan=state.plan,  # its current node is the step the student was on when the help came due
            spent=state.interventions,
            seed=f"{self.problem.id}:{state.turn_index}",
            question=next_question(self.problem, plan),
            fallback_concepts=self.problem.concepts,
        )

    def _request(
        self, message: str, state: TutorState, code: str | None, evidence: Evidence, update: TurnUpdate
    ) -> tuple[ReplyRequest, Vet]:
        """The prompt, the acknowledgement, the safe text and the checks for this turn's reply."""
        assessment, decision = evidence.assessment, update.decision
        socratic = self.config.mode == "socratic"
        prefix = ""
        if socratic and self.config.composition != "free":
            prefix = acknowledgement(assessment, decision, message, state.turn_index)
        turn_values = {
            "student_message": clip(message) or "(empty message)",
            "move_text": decision.move_text,
            "code_status": self._code_status(evidence),
            "calculation": calculation_notes(evidence.soliloquies),
            "said": prefix,
            "feedback": "",
        }
        history = _window(state.history, 2 * self.config.history_turns)
        turn_text = render("tutor_turn.jinja", **turn_values) if socratic else clip(message) or "(empty message)"
        guard = self._guard(update.allow_reveal or update.solved, update.plan)
        student_code = code if code is not None else state.code or ""
        consistency = self._consistency(message, state, student_code, update, evidence) if guard else None
        vet = reply_vetter(guard, consistency, self._known_numbers(state, message, evidence, decision.move_text))
        request = ReplyRequest(
            messages=build_messages(self._system, history, turn_text),
            retry=RetryBuilder(self._system, history, turn_values),
            fallback=self._fallback(prefix, decision.move_text, update.plan, vet, _last_tutor(state)),
            prefix=prefix,
            closing_question=_question_in(decision.move_text),
            max_regenerations=self.config.max_leak_regenerations,
        )
        return request, vet

    def _record(
        self,
        message: str,
        state: TutorState,
        code: str | None,
        evidence: Evidence,
        update: TurnUpdate,
        out: Composition,
        started: float,
    ) -> TurnDone:
        checked = self.config.use_guard and self.config.mode == "socratic"
        verdict = out.verdict.model_copy(update={"reveal_allowed": update.allow_reveal, "checked": checked})
        calls = [*evidence.model_calls, *out.calls]
        total = time.perf_counter() - started
        model_time = sum(c.latency_s for c in calls)
        turn = TutorTurn(
            index=state.turn_index + 1,
            student_message=message,
            reply=out.text,
            assessment=evidence.assessment,
            decision=update.decision,
            plan=update.plan,
            knowledge=update.knowledge,
            soliloquies=evidence.soliloquies,
            leak=verdict,
            model_calls=calls,
            tests=evidence.tests,
            resolved_bugs=evidence.resolved_bugs,
            solved=update.solved,
            timings={
                "total_s": round(total, 4),
                "model_s": round(model_time, 4),
                "first_visible_s": round(out.first_visible_s or total, 4),
                "outside_model_s": round(max(total - model_time, 0.0), 4),
            },
        )
        history = [
            *state.history,
            Message(role="student", content=clip(message)),
            Message(role="tutor", content=out.text),
        ]
        new_state = state.model_copy(
            update={
                "plan": update.plan,
                "knowledge": update.knowledge,
                "history": history,
                "failed_attempts": update.failures,
                "interventions": update.interventions,
                "misconceptions_seen": note_misconception(state.misconceptions_seen, evidence.assessment),
                "turn_index": state.turn_index + 1,
                "solved": update.solved,
                "code": code if code is not None else state.code,
            }
        )
        return TurnDone(turn=turn, state=new_state)

    # -- pieces ----------------------------------------------------------------------------------
    def _assess(
        self, message: str, state: TutorState, code: str | None, gate: _Gate
    ) -> Generator[object, None, Evidence]:
        problem = self.problem
        if isinstance(problem, DebuggingProblem):
            node = state.plan.current_node
            if code is not None and code.strip() and code != state.code:
                return assess_code(code, problem, state.plan, self.sandbox)
            if node is not None and node.kind == "understand":
                calls: list = []
                if needs_model_judgement(message, problem, node):
                    yield from gate()
                a = judge_understanding(message, problem, node, self.model, calls)
                return Evidence(a, model_calls=calls)
            return Evidence(classify_without_answer(message, problem, node))
        if not self.config.use_plan:
            evidence = assess_stepped(message, problem, state.plan, self.soliloquist)
            a = evidence.assessment
            if a.label in ("correct", "partially_correct") and not a.solved_problem:
                evidence.assessment = Assessment(
                    label="unclear", node_id=None, evidence="no plan: only the final answer is checked"
                )
            return evidence
        evidence = assess_stepped(message, problem, state.plan, self.soliloquist)
        # Only a wrong answer the rules cannot explain is worth a calculation (the fast path stays at one call).
        unexplained = evidence.assessment.label == "incorrect" and evidence.assessment.misconception is None
        if (
            self.soliloquist is not None
            and unexplained
            and not evidence.soliloquies
            and self.soliloquist.rules_cannot_tell(message)
        ):
            yield from gate()
            decision = self.soliloquist.decide_with_model(message, problem.statement, evidence.model_calls)
            if decision is not None and decision.needs_calculation and decision.description:
                evidence.soliloquies.append(self.soliloquist.calculate(decision.description, evidence.model_calls))
        return evidence

    def _update_knowledge(self, state: TutorState, a: Assessment) -> KnowledgeState:
        if a.label not in ("correct", "incorrect") or a.node_id is None:
            return state.knowledge
        try:
            concepts = state.plan.node(a.node_id).concepts or tuple(self.problem.concepts)
        except KeyError:
            concepts = tuple(self.problem.concepts)
        return state.knowledge.update(concepts, "correct" if a.label == "correct" else "incorrect")

    def _guard(self, allow_reveal: bool, plan: PlanTree) -> LeakGuard | None:
        if not self.config.use_guard or self.config.mode == "assist":
            return None
        # Once the student has solved it, confirming the answer is not telling; fixed bugs are no secret.
        fixed = frozenset(n.ref for n in plan.nodes if n.kind == "bug" and n.status == "done")
        return LeakGuard(self.problem, allow_reveal=allow_reveal, resolved_bugs=fixed)

    def _consistency(
        self, message: str, state: TutorState, code: str, update: TurnUpdate, evidence: Evidence
    ) -> ConsistencyCheck:
        students = [m.content for m in state.history if m.role == "student"]
        said = [*students, message, code]
        open_steps = () if update.allow_reveal or update.solved else unreached_steps(self.problem, said)
        facts = TurnFacts(
            label=update.decision.class_evaluation,
            praise_allowed=update.decision.class_evaluation == "correct" or update.solved,
            student_message=message,
            sources=(*said, update.decision.move_text),
            unreached=open_steps,
            student_code=code,
            computed=(
                *(s.value for s in evidence.soliloquies if s.value is not None),
                *(value for _, value in unreached_steps(self.problem, ()) if not open_steps),  # may be said now
            ),
        )
        return ConsistencyCheck(self.problem, facts, self.sandbox)

    def _fallback(self, prefix: str, move_text: str, plan: PlanTree, vet: Vet, said_last: str) -> str:
        """The scaffold's own words for this move (its hint and question), itself checked; the node's other
        authored guidance when the tutor's last message already gave that hint; the plan's question, or a generic one,
        when those do not pass."""
        question = next_question(self.problem, plan)
        guidance = authored_guidance(move_text)
        candidates = [guidance, *other_guidance(self.problem, plan), question, "What do you think the next step is?"]
        if not prefix:
            candidates.insert(1, f"Let's take it one step at a time. {question}")
        # Asking the step's question again is fine; giving the same hint again is not.
        fresh = [t for t in candidates if t and (t == question or t not in said_last)]
        for text in [*fresh, guidance, question]:  # repeating beats saying nothing
            if text and not vet(f"{prefix} {text}".strip()):
                return text
        return "What do you think the next step is?"

    def _known_numbers(self, state: TutorState, message: str, evidence: Evidence, move_text: str) -> list[float]:
        """Numbers the reply may state: the student's own, executed results, and the scaffold's."""
        texts = [message, move_text, *(m.content for m in state.history if m.role == "student")]
        values = [m.value for t in texts for m in extract_numbers(t)]
        values += [s.value for s in evidence.soliloquies if s.value is not None]
        if isinstance(self.problem, DebuggingProblem):
            values += [float(n) for b in self.problem.bugs for n in b.lines]
        return values

    @staticmethod
    def _code_status(evidence: Evidence) -> str:
        if not evidence.tests:
            return ""
        passed = [t.name for t in evidence.tests if t.status == "passed"]
        failed = [f"{t.name} ({t.status})" for t in evidence.tests if t.status != "passed"]
        return f"the student's code passes {len(passed)}/{len(evidence.tests)} tests" + (
            f"; failing: {', '.join(failed[:4])}" if failed else ""
        )
