"""The Teacher tab: classes (join codes, the reveal policy), sessions by class and student, one dialogue with
the tutor's thinking under each turn, and exports of a session or a whole class.

Every event calls the service with the logged-in user; the service refuses students and teachers who do
not own the class, so the tab's visibility is a convenience, not the protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from tutor.errors import InputDataError, TutorError
from tutor.service import TutoringService
from tutor.storage.views import ClassView, UserView
from ui.common import Shell, refusal, statement_markdown, user_of
from ui.exports import EXPORT_FORMATS, export_file
from ui.plots import class_heatmap, mastery_curve

HEADERS = ["session", "student", "problem", "domain", "status", "updated"]
CLASS_HEADERS = ["class", "join code", "students", "reveals the answer", "teacher"]
ALL_CLASSES = ("All classes", "")
NEVER = "never"
AFTER = "after N failed attempts"


@dataclass(frozen=True)
class ClassPanel:
    name: gr.Textbox
    create_btn: gr.Button
    table: gr.Dataframe
    pick: gr.Dropdown
    reveal_mode: gr.Radio
    reveal_after: gr.Number
    save_policy_btn: gr.Button


@dataclass(frozen=True)
class TeacherTab:
    tab: gr.Tab
    classes: ClassPanel
    student: gr.Textbox
    refresh_btn: gr.Button
    table: gr.Dataframe
    dialogue_id: gr.Textbox
    open_btn: gr.Button
    dialogue: gr.Markdown
    export_format: gr.Radio
    export_session_btn: gr.Button
    export_class_btn: gr.Button
    export_file: gr.File
    learning_btn: gr.Button
    heatmap: gr.Plot
    student_curve: gr.Plot


def _build_class_panel() -> ClassPanel:
    with gr.Accordion("Classes", open=True, elem_id="classes-box"):
        with gr.Row():
            name = gr.Textbox(label="New class name", scale=3, elem_id="class-name")
            create_btn = gr.Button("Create class", scale=1, elem_id="create-class")
        table = gr.Dataframe(headers=CLASS_HEADERS, interactive=False, elem_id="classes-table")
        pick = gr.Dropdown(
            [ALL_CLASSES],
            value="",
            label="Class (for its reveal policy, its sessions and its export)",
            elem_id="class-pick",
        )
        with gr.Row():
            reveal_mode = gr.Radio([NEVER, AFTER], value=NEVER, label="The tutor reveals the answer", scale=2)
            reveal_after = gr.Number(3, precision=0, minimum=1, maximum=20, label="N", scale=1)
            save_policy_btn = gr.Button("Save for this class", scale=1, elem_id="save-policy")
    return ClassPanel(name, create_btn, table, pick, reveal_mode, reveal_after, save_policy_btn)


def build_teacher_tab() -> TeacherTab:
    """The Teacher tab, hidden until a teacher or researcher logs in."""
    with gr.Tab("Teacher", id="teacher", visible=False) as tab:
        classes = _build_class_panel()
        with gr.Row():
            student = gr.Textbox(label="Student (empty: everyone)", elem_id="student-filter")
            refresh_btn = gr.Button("Show sessions", elem_id="refresh-sessions")
        table = gr.Dataframe(headers=HEADERS, interactive=False, elem_id="sessions-table")
        dialogue_id = gr.Textbox(label="Session id to open", elem_id="dialogue-id")
        open_btn = gr.Button("Open dialogue", elem_id="open-dialogue")
        dialogue = gr.Markdown(elem_id="dialogue")
        with gr.Accordion("Learning", open=True, elem_id="learning-box"):
            learning_btn = gr.Button("Show the class's mastery (and the student's curve)", elem_id="learning-btn")
            heatmap = gr.Plot(label="Class: students x concepts", elem_id="class-heatmap")
            student_curve = gr.Plot(label="One student over time", elem_id="student-curve")
        with gr.Accordion("Export", open=False, elem_id="export-box"):
            export_format = gr.Radio(EXPORT_FORMATS, value="JSON Lines", label="Format", elem_id="export-format")
            with gr.Row():
                export_session_btn = gr.Button("Export this session", elem_id="export-session")
                export_class_btn = gr.Button("Export the whole class", elem_id="export-class")
            file = gr.File(label="Export", interactive=False, elem_id="export-file")
    return TeacherTab(
        tab, classes, student, refresh_btn, table, dialogue_id, open_btn, dialogue,
        export_format, export_session_btn, export_class_btn, file, learning_btn, heatmap, student_curve,
    )  # fmt: skip


def _policy_words(after: int | None) -> str:
    return NEVER if after is None else f"after {after} failed attempts"


def _class_id(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputDataError("choose a class from the list") from None


class TeacherHandlers:
    """Classes and sessions through the service: staff only, a teacher's own classes."""

    def __init__(self, service: TutoringService, shell: Shell, tab: TeacherTab) -> None:
        self.service, self.shell, self.tab = service, shell, tab

    def after_login(self, user: UserView) -> dict[Any, Any]:
        staff = self.service.may(user, "manage_classes")
        updates = {self.tab.tab: gr.update(visible=self.service.may(user, "read_all_sessions"))}
        return {**updates, **(self._classes(self.service.list_classes(user)) if staff else {})}

    def _classes(self, classes: list[ClassView], picked: int | None = None) -> dict[Any, Any]:
        rows = [
            [c.name, c.join_code, c.members, _policy_words(c.reveal_after_failed_attempts), c.teacher_username]
            for c in classes
        ]
        choices = [ALL_CLASSES, *((c.name, str(c.id)) for c in classes)]
        pick = gr.update(choices=choices, value=str(picked) if picked is not None else "")
        return {self.tab.classes.table: rows, self.tab.classes.pick: pick}

    def create_class(self, user_state: dict[str, Any] | None, name: str) -> dict[Any, Any]:
        try:
            user = user_of(user_state)
            made = self.service.create_class(user, name)
            classes = self.service.list_classes(user)
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        status = f"Class **{made.name}** made: students join with the code **{made.join_code}**."
        return {**self._classes(classes, made.id), self.tab.classes.name: "", self.shell.status: status}

    def save_policy(self, user_state: dict[str, Any] | None, class_id: str, mode: str, after: float | None):
        try:
            user, picked = self.service.require(user_of(user_state), "manage_classes"), _class_id(class_id)
            if picked is None:
                raise InputDataError("choose a class first")
            n = None if mode == NEVER else int(after or 0)
            saved = self.service.set_reveal_policy(user, picked, n)
            classes = self.service.list_classes(user)
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        status = f"In **{saved.name}** the tutor reveals the answer {_policy_words(n)}."
        return {**self._classes(classes, saved.id), self.shell.status: status}

    def sessions(self, user_state: dict[str, Any] | None, class_id: str, student: str) -> dict[Any, Any]:
        try:
            found = self.service.list_sessions(
                user_of(user_state), limit=500, class_id=_class_id(class_id), student=student
            )
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        rows = [[s.id, s.owner_username, s.title, s.domain, s.status, f"{s.updated_at:%Y-%m-%d %H:%M}"] for s in found]
        return {self.tab.table: rows, self.shell.status: f"{len(rows)} sessions."}

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

    def learning(self, user_state: dict[str, Any] | None, class_id: str, student: str) -> dict[Any, Any]:
        try:
            user, picked = self.service.require(user_of(user_state), "manage_classes"), _class_id(class_id)
            table = self.service.class_mastery(user, picked) if picked is not None else {}
            name = (student or "").strip()
            points = self.service.mastery_history(user, name) if name else []
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        heat = class_heatmap(table, "Mastery per student and concept") if picked is not None else None
        curve = mastery_curve(points, f"{name}: mastery over time") if name else None
        status = "" if heat or curve else "Nothing measured yet: pick a class, or name a student who has worked."
        return {self.tab.heatmap: heat, self.tab.student_curve: curve, self.shell.status: status}

    def export_session(self, user_state: dict[str, Any] | None, session_id: str, fmt: str) -> dict[Any, Any]:
        try:
            page = self.service.open(user_of(user_state), (session_id or "").strip())
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        return {self.tab.export_file: export_file([page], fmt, page.title, f"session-{page.session_id}")}

    def export_class(self, user_state: dict[str, Any] | None, class_id: str, fmt: str) -> dict[Any, Any]:
        try:
            user, picked = self.service.require(user_of(user_state), "manage_classes"), _class_id(class_id)
            if picked is None:
                raise InputDataError("choose a class to export")
            pages = self.service.export_class(user, picked)
            name = next((c.name for c in self.service.list_classes(user) if c.id == picked), "class")
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        path = export_file(pages, fmt, f"{name}: {len(pages)} sessions", f"class-{name}")
        return {self.tab.export_file: path, self.shell.status: f"Exported {len(pages)} sessions of {name}."}


def connect_teacher(service: TutoringService, shell: Shell, tab: TeacherTab) -> TeacherHandlers:
    h, c, user = TeacherHandlers(service, shell, tab), tab.classes, shell.user_state
    class_outputs = [c.table, c.pick, c.name, shell.status]
    c.create_btn.click(h.create_class, [user, c.name], class_outputs, api_name="create_class")
    c.save_policy_btn.click(
        h.save_policy, [user, c.pick, c.reveal_mode, c.reveal_after], class_outputs, api_name="set_reveal_policy"
    )
    tab.refresh_btn.click(h.sessions, [user, c.pick, tab.student], [tab.table, shell.status], api_name="list_sessions")
    tab.open_btn.click(h.open_dialogue, [user, tab.dialogue_id], tab.dialogue, api_name="open_dialogue")
    exports = [tab.export_file, shell.status]
    tab.export_session_btn.click(
        h.export_session, [user, tab.dialogue_id, tab.export_format], exports, api_name="export_session"
    )
    tab.export_class_btn.click(h.export_class, [user, c.pick, tab.export_format], exports, api_name="export_class")
    tab.learning_btn.click(
        h.learning,
        [user, c.pick, tab.student],
        [tab.heatmap, tab.student_curve, shell.status],
        api_name="class_learning",
    )
    return h
