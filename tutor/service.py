"""The tutoring service: what the web app (and any other front end) calls.

It wires the store, the problem bank, the models and the sandbox around `TutorAgent` and enforces the turn
protocol: the student's message is committed before the model is called; the tutor's turn (message, full
record, new state, knowledge snapshot) is committed in one transaction after. A turn interrupted by a
crash leaves a pending student message, which `stream_reply` answers when the session resumes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from tutor.agent import MAX_MESSAGE_CHARS, TurnDone, TutorAgent, TutorConfig
from tutor.errors import ConfigError, InputDataError
from tutor.models import get_chat_model
from tutor.models.spec import parse_spec
from tutor.planning.scaffold import build_scaffold
from tutor.problems.bank import ProblemBank
from tutor.problems.schema import DebuggingProblem, Problem, parse_problem
from tutor.record import TutorState
from tutor.sandbox import Sandbox, TestRunResult
from tutor.settings import ROLES, Settings
from tutor.storage.store import Store
from tutor.storage.views import MessageView, SessionView, UserView


@dataclass(frozen=True)
class Opened:
    """A session ready to chat in: its view, the problem, and the transcript so far."""

    session: SessionView
    problem: Problem
    transcript: list[MessageView]
    pending: MessageView | None


class TutoringService:
    """One per process; safe to share between the threads of the web server."""

    def __init__(self, settings: Settings, store: Store, bank: ProblemBank, sandbox: Sandbox) -> None:
        self.settings = settings
        self.store = store
        self.bank = bank
        self.sandbox = sandbox
        self._specs = {role: settings.spec_for(role) for role in ROLES}
        self._models: dict[str, BaseChatModel] = {}
        self._lock = threading.Lock()

    # -- models ----------------------------------------------------------------------------------
    def role_specs(self) -> dict[str, str]:
        return dict(self._specs)

    def set_role_spec(self, role: str, spec: str) -> None:
        """Choose the model for a role (validated now; built on first use)."""
        if role not in ROLES:
            raise ConfigError(f"unknown role '{role}'", f"roles are {', '.join(ROLES)}")
        parse_spec(spec)
        with self._lock:
            self._specs[role] = spec.strip()

    def model(self, role: str = "tutor") -> BaseChatModel:
        spec = self._specs[role]
        with self._lock:
            if spec not in self._models:
                self._models[spec] = get_chat_model(spec, self.settings.model, cache_dir=self.settings.cache_dir)
            return self._models[spec]

    def config(self) -> TutorConfig:
        return TutorConfig(reveal_after_failed_attempts=self.settings.policy.reveal_after_failed_attempts,
                           max_leak_regenerations=self.settings.policy.max_leak_regenerations,
                           max_code_repairs=self.settings.policy.max_code_repairs)

    # -- sessions --------------------------------------------------------------------------------
    def start(self, user: UserView, problem_id: str | None = None, pasted: str | None = None) -> Opened:
        """Start a session on a bank problem or on a pasted word problem (scaffolded and verified first)."""
        if pasted and pasted.strip():
            problem: Problem = build_scaffold(pasted, self.model("tutor"), self.sandbox, self.settings.policy.max_code_repairs)
        elif problem_id:
            problem = self.bank.get(problem_id)
        else:
            raise InputDataError("choose a problem or paste your own", "pick one from the list")
        agent = TutorAgent(problem, self.model("tutor"), self.sandbox, self.config())
        opening, state = agent.start()
        payload: dict[str, Any] = {"tutor": state.model_dump(mode="json")}
        if problem.source == "pasted":
            payload["problem"] = problem.model_dump(mode="json")
        code = problem.buggy_code if isinstance(problem, DebuggingProblem) else None
        session = self.store.start_session(user.id, problem.id, problem.domain, problem.title, payload, code=code)
        self.store.add_tutor_turn(session.id, user, opening, {"opening": True}, payload, state.knowledge.model_dump(mode="json"))
        return self.open(user, session.id)

    def open(self, user: UserView, session_id: str) -> Opened:
        session = self.store.get_session(session_id, user)
        return Opened(session, self._problem_of(session), self.store.transcript(session_id, user),
                      self.store.pending_student_message(session_id, user))

    def _problem_of(self, session: SessionView) -> Problem:
        if "problem" in session.state:
            return parse_problem(session.state["problem"])
        return self.bank.get(session.problem_id)

    # -- turns -----------------------------------------------------------------------------------
    def send(self, user: UserView, session_id: str, text: str, code: str | None = None) -> Iterator[str | TurnDone]:
        """Commit the student's message, then stream the tutor's vetted reply and commit the turn."""
        if not (text or "").strip() and code is None:
            raise InputDataError("the message is empty", "type an answer or a question")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InputDataError(f"the message is {len(text):,} characters long; the limit is {MAX_MESSAGE_CHARS:,}",
                                 "shorten it: the tutor reads one answer or question at a time")
        session = self.store.get_session(session_id, user)
        if code is not None:
            self.store.update_code(session_id, user, code)
        self.store.add_student_message(session_id, user, text)
        yield from self._reply(user, session, text, code)

    def stream_reply(self, user: UserView, session_id: str) -> Iterator[str | TurnDone]:
        """Answer a student message left without reply (the server stopped mid-turn)."""
        pending = self.store.pending_student_message(session_id, user)
        if pending is None:
            return
        session = self.store.get_session(session_id, user)
        yield from self._reply(user, session, pending.text, None)

    def _reply(self, user: UserView, session: SessionView, text: str, code: str | None) -> Iterator[str | TurnDone]:
        problem = self._problem_of(session)
        state = TutorState.model_validate(session.state["tutor"])
        agent = TutorAgent(problem, self.model("tutor"), self.sandbox, self.config())
        for item in agent.stream(text, state, code=code):
            if isinstance(item, TurnDone):
                payload = {**session.state, "tutor": item.state.model_dump(mode="json")}
                self.store.add_tutor_turn(
                    session.id, user, item.turn.reply, item.turn.model_dump(mode="json"), payload,
                    item.turn.knowledge.model_dump(mode="json"), status="solved" if item.state.solved else None,
                )
            yield item

    def run_tests(self, user: UserView, session_id: str, code: str) -> TestRunResult:
        """Run the problem's tests on the student's code (and keep the code)."""
        session = self.store.get_session(session_id, user)
        problem = self._problem_of(session)
        if not isinstance(problem, DebuggingProblem):
            raise InputDataError("this problem has no tests to run", "tests belong to debugging problems")
        self.store.update_code(session_id, user, code)
        return self.sandbox.run_tests(code, [(t.name, t.code) for t in problem.tests])


def open_service(settings: Settings | None = None) -> TutoringService:
    """Build the service from settings: migrate the database, load the bank, start the sandbox."""
    settings = settings or Settings.load()
    store = Store.from_settings(settings)
    bank = ProblemBank.load(settings.problems_path)
    return TutoringService(settings, store, bank, Sandbox())
