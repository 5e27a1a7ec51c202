"""Beside the chat: the classes a student is in (joining one with its code) and saving the conversation.

Both go through the service with the logged-in user: joining is for students only, and the saved file is
built from the same role-shaped page the chat shows, so it holds nothing the student may not see.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.service import TutoringService
from tutor.storage.views import ClassView, UserView
from ui.common import Shell, refusal, user_of
from ui.exports import EXPORT_FORMATS, export_file


@dataclass(frozen=True)
class TutorExtras:
    classes: gr.Markdown
    join_code: gr.Textbox
    join_btn: gr.Button
    export_format: gr.Radio
    export_btn: gr.Button
    export_file: gr.File


def build_tutor_extras() -> TutorExtras:
    """The class and save panels (call inside the Tutor tab's side column)."""
    with gr.Accordion("Your class", open=False, elem_id="class-box"):
        classes = gr.Markdown("", elem_id="my-classes")
        join_code = gr.Textbox(label="Join a class with its code", elem_id="class-code")
        join_btn = gr.Button("Join", elem_id="join-class-btn")
    with gr.Accordion("Save this conversation", open=False, elem_id="save-box"):
        export_format = gr.Radio(EXPORT_FORMATS, value="Markdown", label="Format", elem_id="save-format")
        export_btn = gr.Button("Save", elem_id="save-btn")
        file = gr.File(label="Your file", interactive=False, elem_id="save-file")
    return TutorExtras(classes, join_code, join_btn, export_format, export_btn, file)


def classes_markdown(classes: list[ClassView]) -> str:
    if not classes:
        return "You are not in a class yet."
    names = ", ".join(f"**{html.escape(c.name)}** ({html.escape(c.teacher_username)})" for c in classes)
    return f"Your classes: {names}."


class TutorExtrasHandlers:
    def __init__(self, service: TutoringService, shell: Shell, extras: TutorExtras) -> None:
        self.service, self.shell, self.extras = service, shell, extras

    def after_login(self, user: UserView) -> dict[Any, Any]:
        return {self.extras.classes: classes_markdown(self.service.list_classes(user))}

    def join(self, user_state: dict[str, Any] | None, code: str) -> dict[Any, Any]:
        try:
            user = user_of(user_state)
            joined = self.service.join_class(user, code)
            mine = classes_markdown(self.service.list_classes(user))
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        return {self.extras.classes: mine, self.extras.join_code: "", self.shell.status: f"You joined {joined.name}."}

    def save(self, user_state: dict[str, Any] | None, session_id: str, fmt: str) -> dict[Any, Any]:
        try:
            page = self.service.open(user_of(user_state), session_id or "")
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        path = export_file([page], fmt, page.title, f"session-{page.session_id}")
        return {self.extras.export_file: path}


def connect_tutor_extras(
    service: TutoringService, shell: Shell, extras: TutorExtras, session_id: gr.State
) -> TutorExtrasHandlers:
    h = TutorExtrasHandlers(service, shell, extras)
    e = extras
    e.join_btn.click(
        h.join, [shell.user_state, e.join_code], [e.classes, e.join_code, shell.status], api_name="join_class"
    )
    e.export_btn.click(
        h.save, [shell.user_state, session_id, e.export_format], [e.export_file, shell.status], api_name="save_session"
    )
    return h
