"""The tutoring service: what the web app (and any other front end) calls, and where access is decided.

It wires the store, the problem bank, the models and the sandbox around `TutorAgent` and enforces the turn
protocol: the student's message is committed before the model is called; the tutor's turn (message, full
record, new state, knowledge snapshot) is committed in one transaction after. A turn interrupted by a
crash leaves a pending student message, which `stream_reply` answers when the session resumes.

Authorization lives here, in one place. Every public method takes the acting user (None: nobody logged in),
re-reads that user's role from the database, and checks it against `PERMISSIONS` and session ownership:
students work in their own sessions; teachers and researchers read every session and every run;
researchers also change the model settings and start runs. What a method returns is shaped by the same
role (`tutor.service_views`): a student never receives plan titles, moves, the answer key, soliloquies,
guard verdicts or turn records. Front ends never touch the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel

from tutor.agent import MAX_MESSAGE_CHARS, TurnDone, TutorAgent, TutorConfig, WaitForModel
from tutor.errors import ConfigError, InputDataError, NotAllowedError, NotFoundError
from tutor.models import get_chat_model
from tutor.models.spec import parse_spec
from tutor.planning.scaffold import build_scaffold
from tutor.practice import Attempt, Choice, answer_words, carry_mastery, choose_next, concept_words
from tutor.problems.bank import ProblemBank
from tutor.problems.schema import DebuggingProblem, Problem, parse_problem
from tutor.record import TutorState
from tutor.sandbox import Sandbox, TestRunResult
from tutor.service_config import tutor_config
from tutor.service_limits import AbuseLimits
from tutor.service_queue import TurnQueue, Waiting
from tutor.service_views import STAFF_ROLES, SessionPage, TurnResult, session_page, turn_result
from tutor.settings import ROLES, Settings, SignupMode
from tutor.storage.store import Store
from tutor.storage.views import ClassView, MasteryPoint, RunView, SessionSummary, SessionView, UserView

log = logging.getLogger(__name__)

Action = Literal["tutor", "read_all_sessions", "manage_classes", "read_runs", "start_runs", "change_settings"]
EVERYONE = frozenset({"student", "teacher", "researcher"})
PERMISSIONS: dict[Action, frozenset[str]] = {
    "tutor": EVERYONE,  # in one's own sessions only
    "read_all_sessions": STAFF_ROLES,
    "manage_classes": STAFF_ROLES,  # a teacher their own classes, a researcher every class
    "read_runs": STAFF_ROLES,
    "start_runs": frozenset({"researcher"}),
    "change_settings": frozenset({"researcher"}),
}
_REFUSALS: dict[Action, str] = {
    "tutor": "you may not use the tutor",
    "read_all_sessions": "only teachers and researchers can read other people's sessions",
    "manage_classes": "only teachers and researchers can manage classes",
    "read_runs": "only teachers and researchers can see runs and reports",
    "start_runs": "only researchers can start runs",
    "change_settings": "only researchers can change the models",
}
CODE_ONLY_MESSAGE = "(ran my new code)"
RunLauncher = Callable[[Store, str, str, Settings], RunView]


class TutoringService:
    """One per process; safe to share between the threads of the web server."""

    def __init__(
        self, settings: Settings, store: Store, bank: ProblemBank, sandbox: Sandbox, limits: AbuseLimits | None = None
    ) -> None:
        self.settings = settings
        self.limits = limits or AbuseLimits(settings.access.limits)
        self.queue = TurnQueue(settings.queue.concurrent_turns, settings.queue.max_wait_s)
        self.store = store
        self.bank = bank
        self.sandbox = sandbox
        self._specs: dict[str, str] = {role: settings.spec_for(role) for role in ROLES}
        self._models: dict[str, BaseChatModel] = {}
        self._lock = threading.Lock()

    # -- who is acting -----------------------------------------------------------------------------
    def acting(self, user: UserView | None) -> UserView:
        """The acting user as stored now (role re-read). Raises NotAllowedError when nobody is logged in."""
        if user is None:
            raise NotAllowedError("you are not logged in", "log in or sign up first")
        try:
            current = self.store.get_user(user.id)
        except NotFoundError as exc:
            raise NotAllowedError("you are not logged in", "log in or sign up first") from exc
        if current.username != user.username:
            raise NotAllowedError("you are not logged in", "log in or sign up first")
        return current

    def require(self, user: UserView | None, action: Action) -> UserView:
        """The acting user if their role may do `action`. Raises NotAllowedError."""
        me = self.acting(user)
        if me.role not in PERMISSIONS[action]:
            raise NotAllowedError(_REFUSALS[action])
        return me

    def may(self, user: UserView | None, action: Action) -> bool:
        """Whether the acting user may do `action` (for showing or hiding controls)."""
        try:
            self.require(user, action)
        except NotAllowedError:
            return False
        return True

    def describe(self) -> str:
        """One line for the operator's console: the database (password masked) and the tutor model."""
        return f"database: {self.store.url}; tutor model: {self._specs['tutor']}"

    # -- accounts ----------------------------------------------------------------------------------
    @property
    def signup_mode(self) -> SignupMode:
        """open, invite (a class join code is needed) or closed (accounts come from the command line)."""
        return self.settings.access.signup

    def sign_up(
        self, username: str, password: str, *, join_code: str | None = None, client: str = "unknown"
    ) -> UserView:
        """Create a student account (staff accounts are made on the command line), in the class of
        `join_code` if one is given; the sign-up mode decides whether a code is needed or sign-up is shut.

        Raises NotAllowedError (sign-up closed), InputDataError (bad or taken name, weak password, missing
        code), NotFoundError (no class has that code) or RateLimitedError (too many sign-ups from `client`).
        """
        mode = self.signup_mode
        if mode == "closed":
            raise NotAllowedError("sign-up is closed on this server", "ask your teacher for an account")
        code = (join_code or "").strip() or None
        if mode == "invite" and code is None:
            raise InputDataError("signing up here needs your class's join code", "ask your teacher for it")
        self.limits.sign_up(client)
        return self.store.create_user(username or "", password or "", "student", join_code=code)

    def log_in(self, username: str, password: str, *, client: str = "unknown") -> UserView:
        """The user with these credentials. Raises NotAllowedError with one message for every failure, and
        RateLimitedError while the name or `client` (the caller's address) has too many recent failures."""
        self.limits.check_login(username or "", client)
        user = self.store.authenticate(username or "", password or "")
        if user is None:
            self.limits.failed_login(username or "", client)
            raise NotAllowedError("wrong username or password")
        return user

    # -- models ------------------------------------------------------------------------------------
    def role_specs(self, user: UserView | None) -> dict[str, str]:
        """The model spec per role (staff only: specs can name servers)."""
        self.require(user, "read_runs")
        return dict(self._specs)

    def set_role_spec(self, user: UserView | None, role: str, spec: str) -> None:
        """Choose the model for a role (validated now; built on first use). Researchers only."""
        self.require(user, "change_settings")
        if role not in ROLES:
            raise ConfigError(f"unknown role '{role}'", f"roles are {', '.join(ROLES)}")
        parse_spec(spec)
        with self._lock:
            self._specs[role] = spec.strip()

    def _model(self, role: str = "tutor") -> BaseChatModel:
        spec = self._specs[role]
        with self._lock:
            if spec not in self._models:
                self._models[spec] = get_chat_model(spec, self.settings.model, cache_dir=self.settings.cache_dir)
            return self._models[spec]

    def _config(self, student: UserView) -> TutorConfig:
        return tutor_config(self.settings, self._specs["tutor"], self.reveal_policy(student))

    def reveal_policy(self, student: UserView) -> int | None:
        """After how many failed attempts the tutor may reveal the answer to `student` (None: never).

        The student's classes decide; in several classes the strictest wins (never, else the largest N).
        A student in no class gets the server's default (`policy.reveal_after_failed_attempts`).
        """
        policies = self.store.reveal_policies(student.id)
        if not policies:
            return self.settings.policy.reveal_after_failed_attempts
        if any(p is None for p in policies):
            return None
        return max(p for p in policies if p is not None)

    # -- classes -----------------------------------------------------------------------------------
    def create_class(self, user: UserView | None, name: str) -> ClassView:
        """A new class of the acting teacher, with its join code. Staff only."""
        return self.store.create_class(self.require(user, "manage_classes"), name or "")

    def list_classes(self, user: UserView | None) -> list[ClassView]:
        """A teacher's classes (a researcher's: all), or the classes a student is in (without codes)."""
        return self.store.list_classes(self.require(user, "tutor"))

    def join_class(self, user: UserView | None, code: str) -> ClassView:
        """Put the acting student in the class with this join code."""
        me = self.require(user, "tutor")
        if me.role != "student":
            raise InputDataError("only students join classes", "teachers make classes in the Teacher tab")
        return self.store.join_class(me, code or "")

    def set_reveal_policy(self, user: UserView | None, class_id: int, after_failed_attempts: int | None) -> ClassView:
        """When the tutor may reveal answers in a class: never (None) or after N failed attempts."""
        return self.store.set_reveal_policy(self.require(user, "manage_classes"), class_id, after_failed_attempts)

    def class_members(self, user: UserView | None, class_id: int) -> list[UserView]:
        """The students of a class the acting user manages."""
        return self.store.class_members(self.require(user, "manage_classes"), class_id)

    def export_class(self, user: UserView | None, class_id: int) -> list[SessionPage]:
        """Every session of a class's students, shaped for staff (with the tutor's records). Staff only."""
        me = self.require(user, "manage_classes")
        self.store.class_members(me, class_id)  # refuses a class the user does not manage
        sessions = self.store.list_sessions(me, class_id=class_id, limit=None)
        return [self.open(me, s.id) for s in reversed(sessions)]

    # -- problems and sessions ---------------------------------------------------------------------
    def list_problems(self, user: UserView | None, domain: str | None = None) -> list[tuple[str, str]]:
        """(title, id) of the bank's problems: public, since titles and ids hold nothing to keep."""
        return [(p.title, p.id) for p in self.bank.list(domain=domain or None)]

    def list_sessions(
        self,
        user: UserView | None,
        *,
        limit: int | None = 200,
        class_id: int | None = None,
        student: str | None = None,
    ) -> list[SessionSummary]:
        """The sessions the acting user may read: a student's own; every session for staff, who may narrow
        them to a class they manage (`class_id`) and one student (`student`)."""
        me = self.require(user, "tutor")
        if me.role == "student":
            return self.store.list_sessions(me, limit=limit)
        if class_id is not None:
            self.store.class_members(me, class_id)  # refuses a class the user does not manage
        return self.store.list_sessions(me, limit=limit, class_id=class_id, student=(student or "").strip() or None)

    def start(self, user: UserView | None, problem_id: str | None = None, pasted: str | None = None) -> SessionPage:
        """Start a session on a bank problem or on a pasted word problem (scaffolded and verified first)."""
        me = self.require(user, "tutor")
        if pasted and pasted.strip():
            problem: Problem = build_scaffold(
                pasted, self._model("tutor"), self.sandbox, self.settings.policy.max_code_repairs
            )
        elif problem_id:
            problem = self.bank.get(problem_id)
        else:
            raise InputDataError("choose a problem or paste your own", "pick one from the list")
        agent = TutorAgent(problem, self._model("tutor"), self.sandbox, self._config(me))
        opening, state = agent.start()
        state = carry_mastery(state, self.store.mastery_of(me.id))
        payload: dict[str, Any] = {"tutor": state.model_dump(mode="json")}
        if problem.source == "pasted":
            payload["problem"] = problem.model_dump(mode="json")
        code = problem.buggy_code if isinstance(problem, DebuggingProblem) else None
        session = self.store.start_session(me.id, problem.id, problem.domain, problem.title, payload, code=code)
        self.store.add_tutor_turn(
            session.id, me, opening, {"opening": True}, payload, state.knowledge.model_dump(mode="json")
        )
        if self.settings.queue.prefill_on_open and agent.can_prefill:
            threading.Thread(target=self._prefill, args=(agent, state, session.id), daemon=True).start()
        return self.open(me, session.id)

    def _prefill(self, agent: TutorAgent, state: TutorState, session_id: str) -> None:
        """Process the new session's prompt prefix while the student reads (in line with the turns, so it
        delays no one who asked first); a failure here only means the first turn does the work itself."""
        key = f"prefill:{session_id}"
        try:
            for _ in self.queue.wait_turn(key):
                pass
        except Exception as exc:  # noqa: BLE001 - a busy line: skip the head start, the turn will do it
            log.info("no prefill for session %s: %s", session_id, exc)
            return
        try:
            seconds = agent.prefill(state)
            if seconds is not None:
                log.info("prefilled session %s in %.2f s", session_id, seconds)
        except Exception as exc:  # noqa: BLE001 - the turn itself will meet and report any model fault
            log.warning("prefill of session %s failed: %s", session_id, exc)
        finally:
            self.queue.done(key)

    def next_problem(self, user: UserView | None, domain: str | None = None) -> Choice:
        """Choose the problem the acting student should practise next (`tutor.practice`), and record the
        choice with its reason. Raises NotFoundError when nothing is left within reach."""
        me = self.require(user, "tutor")
        history = [
            Attempt(s.problem_id, s.status == "solved") for s in self.store.list_sessions(me, limit=None)
            if s.owner_id == me.id
        ]  # fmt: skip
        choice = choose_next(self.bank.list(domain=domain or None), self.store.mastery_of(me.id), history)
        if choice is None:
            raise NotFoundError("nothing left to practise within reach", "pick any problem from the list")
        self.store.record_practice_choice(me, choice.problem.id, choice.reason, choice.details)
        return choice

    def start_next(self, user: UserView | None, domain: str | None = None) -> tuple[SessionPage, Choice]:
        """Choose the next problem for the acting student and start it."""
        choice = self.next_problem(user, domain)
        return self.start(user, problem_id=choice.problem.id), choice

    def mastery_history(self, user: UserView | None, student: str | None = None) -> list[MasteryPoint]:
        """A student's measured mastery over time: one's own, or (staff) any student's by name."""
        me = self.require(user, "tutor")
        if not student or me.role == "student":
            return self._own_history(me) if me.role == "student" else self.store.mastery_history(me.id)
        self.require(me, "read_all_sessions")
        return self.store.mastery_history(self.store.user_named(student).id)

    def _own_history(self, me: UserView) -> list[MasteryPoint]:
        """A student's curve, with concepts named in words, none of which tells an open step's answer."""
        keep_back: list[str] = []
        for session in self.store.list_sessions(me, limit=None):
            if session.status != "solved":
                keep_back += answer_words(self._problem_of(self.store.get_session(session.id, me)))
        return [
            replace(p, concept=concept_words(p.concept, keep_back).capitalize())
            for p in self.store.mastery_history(me.id)
        ]

    def class_mastery(self, user: UserView | None, class_id: int) -> dict[str, dict[str, float]]:
        """Student -> concept -> mastery for a class the acting teacher manages."""
        me = self.require(user, "manage_classes")
        self.store.class_members(me, class_id)  # refuses a class the user does not manage
        return self.store.class_mastery(class_id)

    def open(self, user: UserView | None, session_id: str) -> SessionPage:
        """The session as the acting user may see it (students: their own, without the tutor's secrets)."""
        me = self.require(user, "tutor")
        session = self.store.get_session(session_id, me)
        return session_page(
            me.role in STAFF_ROLES,
            session,
            self._problem_of(session),
            self.store.transcript(session_id, me),
            self.store.pending_student_message(session_id, me),
        )

    def export(self, user: UserView | None, session_id: str) -> dict[str, Any]:
        """The session as a JSON object, shaped by role exactly as `open` is."""
        return self.open(user, session_id).as_json()

    def _own_session(self, me: UserView, session_id: str) -> SessionView:
        """The session if `me` owns it; the store's not-found error otherwise (staff read, never write)."""
        if not session_id:
            raise InputDataError("no problem is open", "pick a problem first")
        session = self.store.get_session(session_id, me)
        if session.owner_id != me.id:
            raise NotFoundError("session not found", "check the link, or pick one of your sessions")
        return session

    def _problem_of(self, session: SessionView) -> Problem:
        if "problem" in session.state:
            return parse_problem(session.state["problem"])
        return self.bank.get(session.problem_id)

    # -- turns -------------------------------------------------------------------------------------
    def send(
        self, user: UserView | None, session_id: str, text: str, code: str | None = None
    ) -> Iterator[str | TurnResult | Waiting]:
        """Commit the student's message, then stream the tutor's vetted reply and commit the turn.

        `code` (debugging) counts only when it differs from the stored program. An empty message with no new
        code answers the message left waiting by a crash, if there is one.
        """
        me = self.require(user, "tutor")
        text = text or ""
        if len(text) > MAX_MESSAGE_CHARS:
            raise InputDataError(
                f"the message is {len(text):,} characters long; the limit is {MAX_MESSAGE_CHARS:,}",
                "shorten it: the tutor reads one answer or question at a time",
            )
        session = self._own_session(me, session_id)
        if self.queue.busy(session_id):
            raise InputDataError("the tutor is still answering your last message", "wait for its reply")
        self.limits.message(session_id)  # before anything is stored: a refused message stays with the student
        if code is not None and (session.code is None or code == session.code):
            code = None
        if not text.strip() and code is None:
            if self.store.pending_student_message(session_id, me) is None:
                raise InputDataError("the message is empty", "type an answer or a question")
            yield from self.stream_reply(me, session_id)
            return
        if code is not None:
            self.store.update_code(session_id, me, code)
            text = text if text.strip() else CODE_ONLY_MESSAGE
        self.store.add_student_message(session_id, me, text)
        yield from self._reply(me, session, text, code)

    def stream_reply(self, user: UserView | None, session_id: str) -> Iterator[str | TurnResult | Waiting]:
        """Answer a student message left without reply (the server stopped mid-turn)."""
        me = self.require(user, "tutor")
        session = self._own_session(me, session_id)
        pending = self.store.pending_student_message(session_id, me)
        if pending is None:
            return
        yield from self._reply(me, session, pending.text, None)

    def _reply(
        self, me: UserView, session: SessionView, text: str, code: str | None
    ) -> Iterator[str | TurnResult | Waiting]:
        # The turn waits for the model in arrival order when it first needs it; the student's message is
        # stored already, so giving up loses nothing.
        admitted = False

        def wait_for_model() -> Iterator[Waiting]:
            nonlocal admitted
            yield from self.queue.wait_turn(session.id)
            admitted = True

        with self.queue.open_turn(session.id):
            try:
                yield from self._turn(me, session, text, code, wait_for_model)
            finally:
                if admitted:
                    self.queue.done(session.id)

    def _turn(
        self, me: UserView, session: SessionView, text: str, code: str | None, wait_for_model: WaitForModel
    ) -> Iterator[str | TurnResult | Waiting]:
        problem = self._problem_of(session)
        state = TutorState.model_validate(session.state["tutor"])
        agent = TutorAgent(problem, self._model("tutor"), self.sandbox, self._config(me))
        for item in agent.stream(text, state, code=code, wait_for_model=wait_for_model):
            if isinstance(item, TurnDone):
                payload = {**session.state, "tutor": item.state.model_dump(mode="json")}
                self.store.add_tutor_turn(
                    session.id,
                    me,
                    item.turn.reply,
                    item.turn.model_dump(mode="json"),
                    payload,
                    item.turn.knowledge.model_dump(mode="json"),
                    status="solved" if item.state.solved else None,
                )
                yield turn_result(me.role in STAFF_ROLES, item, problem)
            elif isinstance(item, str | Waiting):
                yield item

    def run_tests(self, user: UserView | None, session_id: str, code: str) -> TestRunResult:
        """Run the problem's tests on the student's code (and keep the code). Owner only."""
        me = self.require(user, "tutor")
        session = self._own_session(me, session_id)
        problem = self._problem_of(session)
        if not isinstance(problem, DebuggingProblem):
            raise InputDataError("this problem has no tests to run", "tests belong to debugging problems")
        self.store.update_code(session_id, me, code or "")
        return self.sandbox.run_tests(code or "", [(t.name, t.code) for t in problem.tests])

    # -- runs --------------------------------------------------------------------------------------
    def list_runs(self, user: UserView | None, *, limit: int | None = 100) -> list[RunView]:
        """Generation and eval runs, newest first. Staff only."""
        self.require(user, "read_runs")
        return self.store.list_runs(limit=limit)

    def run_report(self, user: UserView | None, run_id: str) -> tuple[RunView, str | None]:
        """A run and its HTML report (None while it has none). Staff only: reports quote whole dialogues."""
        self.require(user, "read_runs")
        run = self.store.get_run((run_id or "").strip())
        report = Path(run.run_dir or "") / "report.html"
        return run, report.read_text(encoding="utf-8") if run.run_dir and report.is_file() else None

    def start_run(self, user: UserView | None, launch: RunLauncher, spec_path: str, out_dir: str) -> RunView:
        """Start a background run with `launch(store, spec_path, out_dir, settings)`. Researchers only."""
        self.require(user, "start_runs")
        if not (spec_path or "").strip() or not (out_dir or "").strip():
            raise InputDataError("give a spec file and an output folder")
        return launch(self.store, spec_path.strip(), out_dir.strip(), self.settings)


def open_service(settings: Settings | None = None) -> TutoringService:
    """Build the service from settings: migrate the database, load the bank, start the sandbox."""
    settings = settings or Settings.load()
    store = Store.from_settings(settings)
    bank = ProblemBank.load(settings.problems_path)
    return TutoringService(settings, store, bank, Sandbox())
