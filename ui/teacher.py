"""The Teacher tab: every student's sessions, and one dialogue with the tutor's thinking under each turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.service import TutoringService
from tutor.storage.views import UserView
from ui.common import Shell, refusal, statement_markdown, user_of

HEADERS = ["session", "student", "problem", "domain", "status", "updated"]


@dataclass(frozen=True)
class TeacherTab:
    tab: gr.Tab
    refresh_btn: gr.Button
    table: gr.Dataframe
    dialogue_id: gr.Textbox
    open_btn: gr.Button
    dialogue: gr.Markdown


def build_teacher_tab() -> TeacherTab:
    """The Teacher tab, hidden until a teacher or researcher logs in."""
    with gr.Tab("Teacher", id="teacher", visible=False) as tab:
        refresh_btn = gr.Button("Refresh sessions", elem_id="refresh-sessions")
        table = gr.Dataframe(headers=HEADERS, interactive=False, elem_id="sessions-table")
        dialogue_id = gr.Textbox(label="Session id to open", elem_id="dialogue-id")
        open_btn = gr.Button("Open dialogue", elem_id="open-dialogue")
        dialogue = gr.Markdown(elem_id="dialogue")
    return TeacherTab(tab, refresh_btn, table, dialogue_id, open_btn, dialogue)


class TeacherHandlers:
    """Reading sessions through the service: students get their own (the service decides), staff everyone's."""

    def __init__(self, service: TutoringService, shell: Shell, tab: TeacherTab) -> None:
        self.service, self.shell, self.tab = service, shell, tab

    def after_login(self, user: UserView) -> dict[Any, Any]:
        return {self.tab.tab: gr.update(visible=self.service.may(user, "read_all_sessions"))}

    def all_sessions(self, user_state: dict[str, Any] | None) -> dict[Any, Any]:
        try:
            rows = [
                [s.id, s.owner_username, s.title, s.domain, s.status, f"{s.updated_at:%Y-%m-%d %H:%M}"]
                for s in self.service.list_sessions(user_of(user_state), limit=500)
            ]
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        return {self.tab.table: rows}

    def open_dialogue(self, user_state: dict[str, Any] | None, session_id: str) -> dict[Any, Any]:
        try:
            page = self.service.open(user_of(user_state), (session_id or "").strip())
        except TutorError as exc:
            return {self.tab.dialogue: refusal(exc)}
        parts = [statement_markdown(page)]
        for line in page.messages:
            parts.append(f"{'**Student**' if line.role == 'student' else '**Tutor**'}: {line.text}")
            if line.thinking:
                parts.append(f"<details><summary>tutor's thinking</summary>\n\n{line.thinking}\n\n</details>")
        return {self.tab.dialogue: "\n\n".join(parts)}


def connect_teacher(service: TutoringService, shell: Shell, tab: TeacherTab) -> TeacherHandlers:
    handlers = TeacherHandlers(service, shell, tab)
    tab.refresh_btn.click(handlers.all_sessions, shell.user_state, [tab.table, shell.status], api_name="list_sessions")
    tab.open_btn.click(
        handlers.open_dialogue, [shell.user_state, tab.dialogue_id], tab.dialogue, api_name="open_dialogue"
    )
    return handlers
