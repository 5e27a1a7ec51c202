"""The web app: students chat with the Socratic tutor; teachers and researchers see everything.

Thin by design: the tabs live in `ui/` (one module per tab, each building its components and wiring its
events), and every handler calls `tutor.service.TutoringService` with the logged-in user. The service
decides who may do what and shapes what comes back by role, so nothing a student's browser or API client
receives holds the tutor's secrets. Nothing is built at import time; `build_app(service)` makes the Blocks
and `main()` launches them. Errors a user can cause arrive as `TutorError` and are shown as one clear line.
"""

from __future__ import annotations

import gradio as gr

from tutor.service import TutoringService
from ui.common import Shell
from ui.login import build_login_tab, connect_login
from ui.research import build_research_tab, connect_research
from ui.teacher import build_teacher_tab, connect_teacher
from ui.tutor import build_tutor_tab, connect_tutor


def build_app(service: TutoringService) -> gr.Blocks:
    """The Blocks for this service (call `.launch()` on the result)."""
    with gr.Blocks(title="Socratic tutor") as demo:
        shell = Shell(user_state=gr.State(None), status=gr.Markdown("", elem_id="status", render=False))
        gr.Markdown(
            "# Socratic tutor\nA tutor that helps you think — it asks questions and never just gives the answer."
        )
        shell.status.render()
        with gr.Tab("Log in", id="login"):
            login = build_login_tab(service.signup_mode)
        with gr.Tab("Tutor", id="tutor"):
            tutor = build_tutor_tab(service)
        teacher = build_teacher_tab()
        research = build_research_tab()
        tutor_h = connect_tutor(service, shell, tutor)
        teacher_h = connect_teacher(service, shell, teacher)
        research_h = connect_research(service, shell, research)
        filled = [
            tutor.sessions,
            tutor.thinking_box,
            tutor.statement,
            tutor.curve,
            tutor.extras.classes,
            teacher.tab,
            teacher.classes.table,
            teacher.classes.pick,
            research.tab,
            *research.spec_boxes,
            research.spec_path,
            research.out_dir,
        ]
        connect_login(
            service, shell, login, [tutor_h.after_login, teacher_h.after_login, research_h.after_login], filled
        )
    return demo


def main(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Open the service (database, bank, sandbox) and serve the app until Ctrl-C."""
    from tutor.service import open_service

    service = open_service()
    print(service.describe(), flush=True)
    demo = build_app(service)
    demo.queue(default_concurrency_limit=4).launch(server_name=host, server_port=port, show_error=False)
