"""The Log in tab: sign up (students) and log in; a successful log-in lets every tab fill itself for the role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.service import TutoringService
from tutor.settings import SignupMode
from tutor.storage.views import UserView
from ui.common import Shell, refusal, state_of

# Each tab gives the updates it makes when someone logs in (its components -> new values).
OnLogin = Callable[[UserView], dict[Any, Any]]


@dataclass(frozen=True)
class LoginTab:
    username: gr.Textbox
    password: gr.Textbox
    join_code: gr.Textbox
    login_btn: gr.Button
    signup_btn: gr.Button
    status: gr.Markdown


_SIGNUP_NOTES: dict[SignupMode, str] = {
    "open": "New here? Choose a name and a password, then press **Sign up**. Your class code is optional.",
    "invite": "New here? Signing up needs the **class join code** your teacher gave you.",
    "closed": "Sign-up is closed on this server: ask your teacher for an account.",
}


def build_login_tab(signup: SignupMode) -> LoginTab:
    """The components of the Log in tab (call inside `gr.Tab`); `signup` is the server's sign-up mode."""
    with gr.Row():
        username = gr.Textbox(label="Username", elem_id="username")
        password = gr.Textbox(
            label="Password (8+ characters; a few unrelated words are easy to remember and hard to guess)",
            type="password",
            elem_id="password",
        )
    join_code = gr.Textbox(
        label="Class join code" + (" (needed to sign up)" if signup == "invite" else " (optional)"),
        visible=signup != "closed",
        elem_id="join-code",
    )
    with gr.Row():
        login_btn = gr.Button("Log in", variant="primary", elem_id="login-btn")
        signup_btn = gr.Button("Sign up", visible=signup != "closed", elem_id="signup-btn")
    gr.Markdown(_SIGNUP_NOTES[signup], elem_id="signup-note")
    return LoginTab(username, password, join_code, login_btn, signup_btn, gr.Markdown(elem_id="login-status"))


def client_of(request: gr.Request | None) -> str:
    """The caller's address, the key for per-client limits."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", None) or "unknown")


class LoginHandlers:
    """Sign-up and log-in through the service; on success the user is kept and every tab updates."""

    def __init__(self, service: TutoringService, shell: Shell, tab: LoginTab, on_login: Sequence[OnLogin]) -> None:
        self.service, self.shell, self.tab, self.on_login = service, shell, tab, list(on_login)

    def _welcome(self, user: UserView) -> dict[Any, Any]:
        updates: dict[Any, Any] = {
            self.shell.user_state: state_of(user),
            self.tab.status: f"Logged in as **{user.username}** ({user.role}).",
            self.tab.password: "",
        }
        for fill in self.on_login:
            updates.update(fill(user))
        return updates

    def sign_up(self, username: str, password: str, join_code: str, request: gr.Request) -> dict[Any, Any]:
        try:
            user = self.service.sign_up(username, password, join_code=join_code, client=client_of(request))
            return self._welcome(user)
        except TutorError as exc:
            return {self.tab.status: refusal(exc), self.tab.password: ""}

    def log_in(self, username: str, password: str, request: gr.Request) -> dict[Any, Any]:
        try:
            return self._welcome(self.service.log_in(username, password, client=client_of(request)))
        except TutorError as exc:
            return {self.tab.status: refusal(exc), self.tab.password: ""}


def connect_login(
    service: TutoringService, shell: Shell, tab: LoginTab, on_login: Sequence[OnLogin], filled: Sequence[Any]
) -> None:
    """Wire the buttons; `filled` lists every component the tabs' `on_login` functions may update."""
    handlers = LoginHandlers(service, shell, tab, on_login)
    outputs = [shell.user_state, tab.status, tab.password, *filled]
    tab.login_btn.click(handlers.log_in, [tab.username, tab.password], outputs, api_name="log_in")
    tab.signup_btn.click(handlers.sign_up, [tab.username, tab.password, tab.join_code], outputs, api_name="sign_up")
