"""The Tutor tab: pick or paste a problem, chat, edit and test code, and watch one's own progress.

Everything shown comes from the service's role-shaped views: a student's progress panel holds their steps
and mastery only; the "Tutor's thinking" panel exists for staff and is filled only from staff views.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.service import TutoringService
from tutor.service_queue import TutorBusyError, Waiting
from tutor.service_views import SessionPage, TurnResult
from tutor.storage.views import UserView
from ui.common import WAITING, Shell, chat_history, progress_html, refusal, statement_markdown, user_of
from ui.plots import mastery_curve
from ui.tutor_extras import TutorExtras, build_tutor_extras, connect_tutor_extras

NO_SESSION = "Log in, then pick a problem (or paste your own) to start."
READY = "Pick a problem (or paste your own) to start, or resume an earlier session."
STAFF = ("teacher", "researcher")


@dataclass(frozen=True)
class TutorTab:
    session_id: gr.State
    domain: gr.Dropdown
    problem: gr.Dropdown
    start_btn: gr.Button
    next_btn: gr.Button
    pasted: gr.Textbox
    paste_btn: gr.Button
    sessions: gr.Dropdown
    resume_btn: gr.Button
    statement: gr.Markdown
    chat: gr.Chatbot
    message: gr.Textbox
    send_btn: gr.Button
    code: gr.Code
    tests_btn: gr.Button
    tests_out: gr.Markdown
    progress: gr.HTML
    curve: gr.Plot
    thinking_box: gr.Accordion
    thinking: gr.Markdown
    extras: TutorExtras


def _choices(service: TutoringService, domain: str | None) -> list[tuple[str, str]]:
    return [(f"{title} ({pid})", pid) for title, pid in service.list_problems(None, domain)]


def build_tutor_tab(service: TutoringService) -> TutorTab:
    """The components of the Tutor tab (call inside `gr.Tab`)."""
    session_id = gr.State("")
    with gr.Row():
        with gr.Column(scale=1):
            domain = gr.Dropdown(["math", "physics", "debugging"], value="math", label="Domain", elem_id="domain")
            problem = gr.Dropdown(_choices(service, "math"), label="Problem", elem_id="problem")
            start_btn = gr.Button("Start this problem", variant="primary", elem_id="start-btn")
            next_btn = gr.Button("Choose the next problem for me", elem_id="next-btn")
            with gr.Accordion("…or paste your own word problem", open=False):
                pasted = gr.Textbox(lines=4, label="Your problem", elem_id="pasted")
                paste_btn = gr.Button("Start with my problem")
            sessions = gr.Dropdown([], label="Your earlier sessions", elem_id="sessions")
            resume_btn = gr.Button("Resume", elem_id="resume-btn")
            with gr.Accordion("Your progress", open=True, elem_id="progress-box"):
                progress = gr.HTML(elem_id="progress")
                curve = gr.Plot(label="What you know, over time", elem_id="my-curve")
            extras = build_tutor_extras()
        with gr.Column(scale=2):
            statement = gr.Markdown(NO_SESSION, elem_id="statement")
            chat = gr.Chatbot(label="Tutor", height=420, elem_id="chat")
            with gr.Row():
                message = gr.Textbox(
                    placeholder="Your answer or question…", show_label=False, scale=4, elem_id="message"
                )
                send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="send-btn")
            code = gr.Code(language="python", label="Your program", interactive=True, visible=False, elem_id="code")
            tests_btn = gr.Button("Run tests", visible=False, elem_id="run-tests")
            tests_out = gr.Markdown(elem_id="tests-out")
            # Staff only: shown at log-in for teachers and researchers, filled only from staff views.
            with gr.Accordion("Tutor's thinking", open=False, visible=False, elem_id="thinking") as thinking_box:
                thinking = gr.Markdown(elem_id="thinking-md")
    return TutorTab(
        session_id,
        domain,
        problem,
        start_btn,
        next_btn,
        pasted,
        paste_btn,
        sessions,
        resume_btn,
        statement,
        chat,
        message,
        send_btn,
        code,
        tests_btn,
        tests_out,
        progress,
        curve,
        thinking_box,
        thinking,
        extras,
    )


def session_choices(service: TutoringService, user: UserView | None) -> list[tuple[str, str]]:
    """The resume list: own sessions (students) or everyone's (staff, with the student's name)."""
    if user is None:
        return []
    staff = user.role in STAFF
    return [
        (f"{s.title} · {s.status} · {s.updated_at:%Y-%m-%d %H:%M}" + (f" · {s.owner_username}" if staff else ""), s.id)
        for s in service.list_sessions(user)
    ]


def tests_markdown(results: list[Any]) -> str:
    rows = ["| test | result | message |", "|---|---|---|"]
    for r in results:
        icon = {"passed": "passed", "failed": "FAILED", "error": "ERROR"}.get(r.status, r.status)
        rows.append(f"| `{r.name}` | {icon} | {(r.message or '').replace('|', '/')[:120]} |")
    passed = sum(r.status == "passed" for r in results)
    return f"**{passed}/{len(results)} tests pass.**\n\n" + "\n".join(rows)


def in_line(waiting: Waiting) -> str:
    """The status line while a message waits for the model."""
    if waiting.position <= 1:
        return "⏳ The tutor is finishing another student's reply; yours is next."
    return (
        f"⏳ Other students asked first: you are number {waiting.position} in line (waiting {waiting.waited_s:.0f} s)."
    )


class TutorHandlers:
    """The Tutor tab's events; each one calls the service with the logged-in user and returns named updates."""

    def __init__(self, service: TutoringService, shell: Shell, tab: TutorTab) -> None:
        self.service, self.shell, self.tab = service, shell, tab
        self.extras = connect_tutor_extras(service, shell, tab.extras, tab.session_id)

    def after_login(self, user: UserView) -> dict[Any, Any]:
        return {
            self.tab.sessions: gr.update(choices=session_choices(self.service, user), value=None),
            self.tab.thinking_box: gr.update(visible=user.role in STAFF),
            self.tab.statement: READY,
            self.tab.curve: mastery_curve(self.service.mastery_history(user), "What you know, over time"),
            **self.extras.after_login(user),
        }

    def problems(self, domain: str) -> dict[Any, Any]:
        try:
            return {self.tab.problem: gr.update(choices=_choices(self.service, domain), value=None)}
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}

    def _page(self, page: SessionPage) -> dict[Any, Any]:
        t = self.tab
        updates: dict[Any, Any] = {
            t.session_id: page.session_id,
            t.chat: chat_history(page),
            t.statement: statement_markdown(page),
            t.code: gr.update(value=page.code or "", visible=page.debugging),
            t.tests_btn: gr.update(visible=page.debugging),
            t.tests_out: "",
            t.progress: progress_html(page.progress),
            self.shell.status: "",
        }
        if page.thinking is not None:
            updates[t.thinking] = page.thinking
        return updates

    def start_problem(self, user_state: dict[str, Any] | None, problem_id: str) -> dict[Any, Any]:
        try:
            return self._page(self.service.start(user_of(user_state), problem_id=problem_id))
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}

    def next_problem(self, user_state: dict[str, Any] | None, domain: str) -> dict[Any, Any]:
        try:
            page, choice = self.service.start_next(user_of(user_state), domain)
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        return {**self._page(page), self.shell.status: f"**Why this problem?** {choice.reason}"}

    def curve(self, user_state: dict[str, Any] | None) -> dict[Any, Any]:
        """The student's mastery over time (empty until something is measured)."""
        try:
            points = self.service.mastery_history(user_of(user_state))
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        return {self.tab.curve: mastery_curve(points, "What you know, over time")}

    def start_pasted(self, user_state: dict[str, Any] | None, text: str) -> dict[Any, Any]:
        try:
            return self._page(self.service.start(user_of(user_state), pasted=text))
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}

    def resume(self, user_state: dict[str, Any] | None, session_id: str) -> dict[Any, Any]:
        try:
            if not session_id:
                raise TutorError("choose a session to resume")
            return self._page(self.service.open(user_of(user_state), session_id))
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}

    def _done(self, result: TurnResult) -> dict[Any, Any]:
        status = "**Solved!** Well done." if result.solved else ""
        if result.model_trouble:
            status = "⚠️ The model did not answer properly; this reply comes from the problem's own hints."
        updates: dict[Any, Any] = {self.tab.progress: progress_html(result.progress), self.shell.status: status}
        if result.thinking is not None:
            updates[self.tab.thinking] = result.thinking
        return updates

    def send(
        self,
        user_state: dict[str, Any] | None,
        session_id: str,
        message: str,
        code: str | None,
        history: list[dict[str, Any]] | None,
    ) -> Iterator[dict[Any, Any]]:
        t = self.tab
        before = [h for h in (history or []) if h.get("content") != WAITING]
        shown = [*before, {"role": "user", "content": message}] if (message or "").strip() else list(before)
        try:
            stream = self.service.send(user_of(user_state), session_id, message, code=code)
            reply, shown = "", [*shown, {"role": "assistant", "content": "…"}]
            yield {t.chat: shown, t.message: ""}
            clear_status = True
            for item in stream:
                if isinstance(item, Waiting):  # may come after the acknowledgement, before the model's words
                    clear_status = True
                    yield {self.shell.status: in_line(item)}
                    continue
                if isinstance(item, TurnResult):
                    yield {t.chat: shown, **self._done(item)}
                    continue
                reply += item
                shown[-1] = {"role": "assistant", "content": reply}
                # The first words, and the first after a wait, clear a "you are in line" note.
                yield {t.chat: shown, self.shell.status: ""} if clear_status else {t.chat: shown}
                clear_status = False
        except TutorBusyError as exc:
            # The message is stored and waits for its reply: show it so, and leave the box empty.
            waiting = [*shown[:-1], {"role": "assistant", "content": WAITING}]
            yield {t.chat: waiting, t.message: "", self.shell.status: refusal(exc)}
        except TutorError as exc:
            # The student's words are never lost: they stay in the box (or in the store, when already sent).
            yield {t.chat: before, t.message: message, self.shell.status: refusal(exc)}

    def run_tests(self, user_state: dict[str, Any] | None, session_id: str, code: str) -> dict[Any, Any]:
        try:
            result = self.service.run_tests(user_of(user_state), session_id, code or "")
        except TutorError as exc:
            return {self.tab.tests_out: refusal(exc)}
        return {self.tab.tests_out: tests_markdown(result.results)}


def connect_tutor(service: TutoringService, shell: Shell, tab: TutorTab) -> TutorHandlers:
    """Wire the Tutor tab's events; every one that reaches data goes through the service with the user."""
    h = TutorHandlers(service, shell, tab)
    t, user = tab, shell.user_state
    page = [t.session_id, t.chat, t.statement, t.code, t.tests_btn, t.tests_out, t.progress, t.thinking, shell.status]
    t.domain.change(h.problems, t.domain, [t.problem, shell.status], api_name="problems")
    t.start_btn.click(h.start_problem, [user, t.problem], page, api_name="start_problem").then(
        h.curve, user, [t.curve, shell.status], api_name="my_curve"
    )
    t.next_btn.click(h.next_problem, [user, t.domain], page, api_name="next_problem").then(
        h.curve, user, [t.curve, shell.status], api_name=False
    )
    t.paste_btn.click(h.start_pasted, [user, t.pasted], page, api_name="start_pasted")
    t.resume_btn.click(h.resume, [user, t.sessions], page, api_name="resume").then(
        h.curve, user, [t.curve, shell.status], api_name=False
    )
    turn = [t.chat, t.message, t.progress, t.thinking, shell.status]
    t.send_btn.click(h.send, [user, t.session_id, t.message, t.code, t.chat], turn, api_name="send").then(
        h.curve, user, [t.curve, shell.status], api_name=False
    )
    # api_name=False keeps Enter's twin of the Send button off the API (Gradio accepts it; its stubs do not).
    t.message.submit(h.send, [user, t.session_id, t.message, t.code, t.chat], turn, api_name=False)  # type: ignore[arg-type]
    t.tests_btn.click(h.run_tests, [user, t.session_id, t.code], t.tests_out, api_name="run_tests")
    return h
