"""The web app: students chat with the Socratic tutor; teachers and researchers see everything.

Thin by design: every handler calls `tutor.service.TutoringService` (or the store) and turns the result
into components. Nothing is built at import time; `build_app(service)` makes the Blocks and `main()`
launches them. Errors a user can cause arrive as `TutorError` and are shown as one clear line.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.agent import TurnDone
from tutor.errors import TutorError
from tutor.problems.schema import DebuggingProblem
from tutor.service import Opened, TutoringService
from tutor.settings import ROLES
from tutor.storage.views import UserView
from tutor.thinking import knowledge_bars_html, thinking_markdown

STAFF = ("teacher", "researcher")
NO_SESSION = "Log in, then pick a problem (or paste your own) to start."


def _user(state: dict[str, Any] | None) -> UserView:
    if not state:
        raise TutorError("you are not logged in", "log in or sign up first")
    return UserView(**state)


def _chat(opened: Opened) -> list[dict[str, str]]:
    history = [{"role": "user" if m.role == "student" else "assistant", "content": m.text} for m in opened.transcript]
    if opened.pending is not None:
        history.append({"role": "assistant", "content": "_(this message is still waiting for a reply: press Send to get it)_"})
    return history


def _last_record(opened: Opened) -> dict[str, Any] | None:
    for m in reversed(opened.transcript):
        if m.role == "tutor" and m.record and "assessment" in m.record:
            return m.record
    return None


def _statement(opened: Opened) -> str:
    p = opened.problem
    return f"### {p.title}\n\n{p.statement}\n\n<small>problem `{p.id}` · session `{opened.session.id}`</small>"


def _session_outputs(opened: Opened, show_thinking: bool) -> tuple[Any, ...]:
    is_debug = isinstance(opened.problem, DebuggingProblem)
    record = _last_record(opened)
    mastery = (record or {}).get("knowledge", {}).get("mastery") or opened.session.state.get("tutor", {}).get("knowledge", {}).get("mastery", {})
    return (
        opened.session.id,
        _chat(opened),
        _statement(opened),
        gr.update(value=opened.session.code or "", visible=is_debug),
        gr.update(visible=is_debug),
        "",
        gr.update(value=thinking_markdown(record)),
        knowledge_bars_html(mastery),
        gr.update(open=show_thinking),
        "",
    )


def _default_spec() -> Path:
    from tutor.problems.bank import datasets_dir

    return datasets_dir() / "generation" / "default.yaml"


def build_app(service: TutoringService) -> gr.Blocks:
    """The Blocks for this service (call `.launch()` on the result)."""

    def problem_choices(domain: str) -> list[tuple[str, str]]:
        return [(f"{p.title} ({p.id})", p.id) for p in service.bank.list(domain=domain or None)]

    def session_choices(user_state: dict[str, Any] | None) -> list[tuple[str, str]]:
        if not user_state:
            return []
        user = _user(user_state)
        return [(f"{s.title} · {s.status} · {s.updated_at:%Y-%m-%d %H:%M}" + (f" · {s.owner_username}" if user.role in STAFF else ""), s.id)
                for s in service.store.list_sessions(user, limit=200)]

    def after_login(user: UserView) -> tuple[Any, ...]:
        staff = user.role in STAFF
        return (
            {"id": user.id, "username": user.username, "role": user.role, "created_at": user.created_at},
            f"Logged in as **{user.username}** ({user.role}).",
            gr.update(choices=session_choices({"id": user.id, "username": user.username, "role": user.role, "created_at": user.created_at}), value=None),
            gr.update(value=staff),
            gr.update(visible=staff),
            gr.update(visible=staff),
        )

    def sign_up(username: str, password: str) -> tuple[Any, ...]:
        try:
            return after_login(service.store.create_user(username, password, "student"))
        except TutorError as exc:
            return (None, f"⚠️ {exc}", gr.update(), gr.update(), gr.update(), gr.update())

    def log_in(username: str, password: str) -> tuple[Any, ...]:
        user = service.store.authenticate(username, password)
        if user is None:
            return (None, "⚠️ Wrong username or password.", gr.update(), gr.update(), gr.update(), gr.update())
        return after_login(user)

    def guarded(fn):  # type: ignore[no-untyped-def]
        """Run a session handler; a TutorError becomes a message in the status line, nothing else changes."""

        @functools.wraps(fn)
        def wrapper(*args: Any) -> tuple[Any, ...]:
            try:
                return fn(*args)
            except TutorError as exc:
                return (gr.update(),) * 9 + (f"⚠️ {exc}",)

        return wrapper

    @guarded
    def start_problem(user_state: dict[str, Any], problem_id: str, show: bool) -> tuple[Any, ...]:
        return _session_outputs(service.start(_user(user_state), problem_id=problem_id), show)

    @guarded
    def start_pasted(user_state: dict[str, Any], text: str, show: bool) -> tuple[Any, ...]:
        return _session_outputs(service.start(_user(user_state), pasted=text), show)

    @guarded
    def resume(user_state: dict[str, Any], session_id: str, show: bool) -> tuple[Any, ...]:
        if not session_id:
            raise TutorError("choose a session to resume")
        return _session_outputs(service.open(_user(user_state), session_id), show)

    def send(user_state: dict[str, Any], session_id: str, message: str, code: str, history: list[dict[str, str]]) -> Iterator[tuple[Any, ...]]:
        history = [h for h in (history or []) if not str(h.get("content", "")).startswith("_(this message is still waiting")]
        try:
            user = _user(user_state)
            if not session_id:
                raise TutorError("no problem is open", "pick a problem first")
            opened = service.open(user, session_id)
            debugging = isinstance(opened.problem, DebuggingProblem)
            changed_code = code if debugging and code is not None and code != (opened.session.code or "") else None
            if not (message or "").strip() and changed_code is None and opened.pending is not None:
                stream = service.stream_reply(user, session_id)
            else:
                stream = service.send(user, session_id, message, code=changed_code)
                history = [*history, {"role": "user", "content": message or "(ran my new code)"}]
            reply = ""
            history = [*history, {"role": "assistant", "content": "…"}]
            yield history, "", gr.update(), gr.update(), ""
            for item in stream:
                if isinstance(item, TurnDone):
                    status = "**Solved!** Well done." if item.turn.solved else ""
                    if any(not c.ok for c in item.turn.model_calls):
                        status = "⚠️ The model did not answer properly; this reply comes from the problem's own hints."
                    yield (history, "", thinking_markdown(item.turn), knowledge_bars_html(item.turn.knowledge.mastery), status)
                    continue
                reply += item
                history[-1] = {"role": "assistant", "content": reply}
                yield history, "", gr.update(), gr.update(), ""
        except TutorError as exc:
            # The student's words are never lost: they stay in the box (or in the store, when already sent).
            yield history, message, gr.update(), gr.update(), f"⚠️ {exc}"

    def run_tests(user_state: dict[str, Any], session_id: str, code: str) -> str:
        try:
            result = service.run_tests(_user(user_state), session_id, code or "")
        except TutorError as exc:
            return f"⚠️ {exc}"
        rows = ["| test | result | message |", "|---|---|---|"]
        for r in result.results:
            icon = {"passed": "passed", "failed": "FAILED", "error": "ERROR"}.get(r.status, r.status)
            rows.append(f"| `{r.name}` | {icon} | {(r.message or '').replace('|', '/')[:120]} |")
        passed = sum(r.status == "passed" for r in result.results)
        return f"**{passed}/{len(result.results)} tests pass.**\n\n" + "\n".join(rows)

    def all_sessions(user_state: dict[str, Any]) -> list[list[Any]]:
        try:
            user = _user(user_state)
        except TutorError:
            return []
        return [[s.id, s.owner_username, s.title, s.domain, s.status, f"{s.updated_at:%Y-%m-%d %H:%M}"]
                for s in service.store.list_sessions(user, limit=500)]

    def open_dialogue(user_state: dict[str, Any], session_id: str) -> str:
        try:
            opened = service.open(_user(user_state), (session_id or "").strip())
        except TutorError as exc:
            return f"⚠️ {exc}"
        parts = [_statement(opened)]
        for m in opened.transcript:
            who = "**Student**" if m.role == "student" else "**Tutor**"
            parts.append(f"{who}: {m.text}")
            if m.record and "assessment" in m.record:
                parts.append("<details><summary>tutor's thinking</summary>\n\n" + thinking_markdown(m.record) + "\n\n</details>")
        return "\n\n".join(parts)

    def save_models(user_state: dict[str, Any], *specs: str) -> str:
        try:
            if _user(user_state).role not in STAFF:
                raise TutorError("only teachers and researchers can change models")
            for role, spec in zip(ROLES, specs, strict=True):
                service.set_role_spec(role, spec)
        except TutorError as exc:
            return f"⚠️ {exc}"
        return "Saved: " + ", ".join(f"{r} = `{s}`" for r, s in service.role_specs().items())

    def list_runs() -> list[list[Any]]:
        from student_sim.background import progress

        rows = []
        for r in service.store.list_runs(limit=100):
            counts = progress(r.run_dir) if r.kind == "generation" and r.run_dir else {}
            done = f"{counts.get('accepted', 0) + counts.get('rejected', 0)}/{r.config.get('jobs', '?')}" if counts else ""
            rows.append([r.id, r.kind, r.status, done, str(r.summary)[:120], r.run_dir or ""])
        return rows

    def launch_generation(user_state: dict[str, Any], spec_path: str, out_dir: str) -> str:
        from student_sim.background import start_generation

        try:
            if _user(user_state).role not in STAFF:
                raise TutorError("only teachers and researchers can start runs")
            if not (spec_path or "").strip() or not (out_dir or "").strip():
                raise TutorError("give a spec file and an output folder")
            run = start_generation(service.store, spec_path.strip(), out_dir.strip(), service.settings)
        except TutorError as exc:
            return f"⚠️ {exc}"
        return f"Started run `{run.id}` ({run.config.get('jobs', '?')} dialogues) into `{out_dir}`. Press Refresh runs to watch it."

    def open_report(run_id: str) -> str:
        try:
            run = service.store.get_run((run_id or "").strip())
        except TutorError as exc:
            return f"⚠️ {exc}"
        report = Path(run.run_dir or "") / "report.html"
        if not report.is_file():
            return f"Run `{run.id}` has no report yet (status: {run.status})."
        page = html.escape(report.read_text(encoding="utf-8"), quote=True)
        return f"<iframe srcdoc=\"{page}\" style='width:100%;height:900px;border:0'></iframe>"

    with gr.Blocks(title="Socratic tutor") as demo:
        user_state = gr.State(None)
        session_id = gr.State("")
        gr.Markdown("# Socratic tutor\nA tutor that helps you think — it asks questions and never just gives the answer.")
        status = gr.Markdown("", elem_id="status")
        with gr.Tab("Log in", id="login"):
            with gr.Row():
                username = gr.Textbox(label="Username", elem_id="username")
                password = gr.Textbox(label="Password (8+ characters)", type="password", elem_id="password")
            with gr.Row():
                login_btn = gr.Button("Log in", variant="primary", elem_id="login-btn")
                signup_btn = gr.Button("Sign up", elem_id="signup-btn")
            login_status = gr.Markdown(elem_id="login-status")
        with gr.Tab("Tutor", id="tutor"):
            with gr.Row():
                with gr.Column(scale=1):
                    domain = gr.Dropdown(["math", "physics", "debugging"], value="math", label="Domain", elem_id="domain")
                    problem = gr.Dropdown(problem_choices("math"), label="Problem", elem_id="problem")
                    start_btn = gr.Button("Start this problem", variant="primary", elem_id="start-btn")
                    with gr.Accordion("…or paste your own word problem", open=False):
                        pasted = gr.Textbox(lines=4, label="Your problem", elem_id="pasted")
                        paste_btn = gr.Button("Start with my problem")
                    sessions = gr.Dropdown([], label="Your earlier sessions", elem_id="sessions")
                    resume_btn = gr.Button("Resume", elem_id="resume-btn")
                    show_thinking = gr.Checkbox(False, label="Show the tutor's thinking", elem_id="show-thinking")
                with gr.Column(scale=2):
                    statement = gr.Markdown(NO_SESSION, elem_id="statement")
                    chat = gr.Chatbot(label="Tutor", height=420, elem_id="chat")
                    with gr.Row():
                        message = gr.Textbox(placeholder="Your answer or question…", show_label=False, scale=4, elem_id="message")
                        send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="send-btn")
                    code = gr.Code(language="python", label="Your program", interactive=True, visible=False, elem_id="code")
                    tests_btn = gr.Button("Run tests", visible=False, elem_id="run-tests")
                    tests_out = gr.Markdown(elem_id="tests-out")
                    with gr.Accordion("Tutor's thinking", open=False, elem_id="thinking") as thinking_box:
                        knowledge = gr.HTML()
                        thinking = gr.Markdown(elem_id="thinking-md")
        with gr.Tab("Teacher", id="teacher", visible=False) as teacher_tab:
            refresh = gr.Button("Refresh sessions")
            table = gr.Dataframe(headers=["session", "student", "problem", "domain", "status", "updated"], interactive=False)
            dialogue_id = gr.Textbox(label="Session id to open")
            open_btn = gr.Button("Open dialogue")
            dialogue = gr.Markdown()
        with gr.Tab("Research & settings", id="research", visible=False) as research_tab:
            gr.Markdown("### Models per role\nAny spec: `local`, `gguf:PATH`, `hf:REPO`, `openai:MODEL?base_url=URL`, or a LangChain `provider:model`.")
            spec_boxes = [gr.Textbox(value=service.role_specs()[r], label=r) for r in ROLES]
            save_btn = gr.Button("Save models")
            save_status = gr.Markdown()
            gr.Markdown("### Synthetic dialogue generation\nA spec file lists problems x profiles x seeds (see `datasets/generation/`). "
                        "Runs resume where they stopped; `socratic generate` does the same from the terminal.")
            with gr.Row():
                spec_path = gr.Textbox(value=str(_default_spec()), label="Generation spec (YAML)")
                out_dir = gr.Textbox(value=str(service.settings.data_dir / "runs" / "web-generation"), label="Run folder")
            gen_btn = gr.Button("Start generation run")
            gen_status = gr.Markdown()
            gr.Markdown("### Runs\nGeneration runs started here and eval runs (`socratic eval run`) are listed below.")
            runs_btn = gr.Button("Refresh runs")
            runs = gr.Dataframe(headers=["run", "kind", "status", "progress", "summary", "folder"], interactive=False)
            report_id = gr.Textbox(label="Eval run id to open its report")
            report_btn = gr.Button("Open report")
            report_view = gr.HTML()

        login_outputs = [user_state, login_status, sessions, show_thinking, teacher_tab, research_tab]
        login_btn.click(log_in, [username, password], login_outputs, api_name="log_in")
        signup_btn.click(sign_up, [username, password], login_outputs, api_name="sign_up")
        domain.change(lambda d: gr.update(choices=problem_choices(d), value=None), domain, problem)
        session_outputs = [session_id, chat, statement, code, tests_btn, tests_out, thinking, knowledge, thinking_box, status]
        start_btn.click(start_problem, [user_state, problem, show_thinking], session_outputs, api_name="start_problem")
        paste_btn.click(start_pasted, [user_state, pasted, show_thinking], session_outputs, api_name="start_pasted")
        resume_btn.click(resume, [user_state, sessions, show_thinking], session_outputs, api_name="resume")
        show_thinking.change(lambda s: gr.update(open=s), show_thinking, thinking_box)
        send_outputs = [chat, message, thinking, knowledge, status]
        send_btn.click(send, [user_state, session_id, message, code, chat], send_outputs, api_name="send")
        message.submit(send, [user_state, session_id, message, code, chat], send_outputs, api_name=False)
        tests_btn.click(run_tests, [user_state, session_id, code], tests_out, api_name="run_tests")
        refresh.click(all_sessions, user_state, table)
        open_btn.click(open_dialogue, [user_state, dialogue_id], dialogue)
        save_btn.click(save_models, [user_state, *spec_boxes], save_status)
        runs_btn.click(list_runs, None, runs)
        gen_btn.click(launch_generation, [user_state, spec_path, out_dir], gen_status)
        report_btn.click(open_report, report_id, report_view)
    return demo


def main(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Open the service (database, bank, sandbox) and serve the app until Ctrl-C."""
    from tutor.service import open_service

    service = open_service()
    print(f"database: {service.store.url}; tutor model: {service.role_specs()['tutor']}", flush=True)
    demo = build_app(service)
    demo.queue(default_concurrency_limit=4).launch(server_name=host, server_port=port, show_error=False)
