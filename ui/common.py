"""Pieces every tab uses: the logged-in user kept per browser session, refusals, and rendering of views."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.service_views import Progress, SessionPage
from tutor.storage.views import UserView

WAITING = "_(this message is still waiting for a reply: press Send to get it)_"
_STEP_MARKS = {"done": "✓", "now": "➜", "to do": "○"}
_STEP_WORDS = {"done": "done", "now": "you are here", "to do": "still to come"}


@dataclass(frozen=True)
class Shell:
    """What sits above the tabs: the logged-in user (server-side, per browser session) and the status line."""

    user_state: gr.State
    status: gr.Markdown


def user_of(state: dict[str, Any] | None) -> UserView | None:
    """The user kept in the browser session's state, or None. The service re-checks it on every call."""
    if not state:
        return None
    return UserView(
        id=state["id"],
        username=state["username"],
        role=state["role"],
        created_at=datetime.fromisoformat(state["created_at"]),
    )


def state_of(user: UserView) -> dict[str, Any]:
    """What the browser session keeps of a logged-in user."""
    return {"id": user.id, "username": user.username, "role": user.role, "created_at": user.created_at.isoformat()}


def refusal(exc: TutorError) -> str:
    """A user-caused error as one line for a status box."""
    return f"⚠️ {exc}"


def chat_history(page: SessionPage) -> list[dict[str, str]]:
    """The transcript in the Chatbot's message format, with a note when a message still waits for a reply."""
    history = [{"role": "user" if m.role == "student" else "assistant", "content": m.text} for m in page.messages]
    if page.pending is not None:
        history.append({"role": "assistant", "content": WAITING})
    return history


def statement_markdown(page: SessionPage) -> str:
    ids = f"<small>problem `{page.problem_id}` · session `{page.session_id}`</small>"
    return f"### {page.title}\n\n{page.statement}\n\n{ids}"


def progress_html(progress: Progress) -> str:
    """The student's own progress: where they are, each step in plain words, a bar per concept."""
    steps = "".join(
        f"<li class='step-{s.status.replace(' ', '-')}'>{_STEP_MARKS[s.status]} {html.escape(s.label)}"
        f" <small>({_STEP_WORDS[s.status]})</small></li>"
        for s in progress.steps
    )
    bars = "".join(
        "<div style='display:flex;align-items:center;gap:8px;margin:2px 0'>"
        f"<span style='width:180px;font-size:0.85em'>{html.escape(concept)}</span>"
        "<span style='flex:1;background:#e5e7eb;border-radius:4px;height:10px'>"
        f"<span style='display:block;width:{pct}%;background:#6366f1;height:10px;border-radius:4px'></span></span>"
        f"<span style='width:40px;font-size:0.85em'>{pct}%</span></div>"
        for concept, pct in progress.mastery
    )
    return (
        f"<div class='progress'><p><b>{html.escape(progress.summary)}</b></p>"
        f"<ul style='list-style:none;padding-left:0'>{steps}</ul>"
        f"<p style='font-size:0.85em;margin-bottom:2px'>How sure the tutor is that you know each idea:</p>{bars}</div>"
    )
