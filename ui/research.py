"""The Research & settings tab: models per role, generation runs, run reports.

Nothing here is filled at build time: model specs and server paths reach the page only after a staff
log-in, and every action goes through the service, which decides who may do it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.service import TutoringService
from tutor.settings import ROLES
from tutor.storage.views import UserView
from ui.common import Shell, refusal, user_of

RUN_HEADERS = ["run", "kind", "status", "progress", "summary", "folder"]


@dataclass(frozen=True)
class ResearchTab:
    tab: gr.Tab
    spec_boxes: tuple[gr.Textbox, ...]
    save_btn: gr.Button
    save_status: gr.Markdown
    spec_path: gr.Textbox
    out_dir: gr.Textbox
    gen_btn: gr.Button
    gen_status: gr.Markdown
    runs_btn: gr.Button
    runs: gr.Dataframe
    report_id: gr.Textbox
    report_btn: gr.Button
    report_view: gr.HTML


def build_research_tab() -> ResearchTab:
    """The Research & settings tab, hidden until a teacher or researcher logs in."""
    with gr.Tab("Research & settings", id="research", visible=False) as tab:
        gr.Markdown(
            "### Models per role\nAny spec: `local`, `gguf:PATH`, `hf:REPO`, `openai:MODEL?base_url=URL`, "
            "or a LangChain `provider:model`. Researchers can change them."
        )
        spec_boxes = tuple(gr.Textbox(label=r, elem_id=f"spec-{r}") for r in ROLES)
        save_btn = gr.Button("Save models")
        save_status = gr.Markdown()
        gr.Markdown(
            "### Synthetic dialogue generation\nA spec file lists problems x profiles x seeds (see "
            "`datasets/generation/`). Runs resume where they stopped; `socratic generate` does the same from "
            "the terminal."
        )
        with gr.Row():
            spec_path = gr.Textbox(label="Generation spec (YAML)")
            out_dir = gr.Textbox(label="Run folder")
        gen_btn = gr.Button("Start generation run")
        gen_status = gr.Markdown()
        gr.Markdown("### Runs\nGeneration runs started here and eval runs (`socratic eval run`) are listed below.")
        runs_btn = gr.Button("Refresh runs")
        runs = gr.Dataframe(headers=RUN_HEADERS, interactive=False)
        report_id = gr.Textbox(label="Eval run id to open its report")
        report_btn = gr.Button("Open report")
        report_view = gr.HTML()
    return ResearchTab(
        tab,
        spec_boxes,
        save_btn,
        save_status,
        spec_path,
        out_dir,
        gen_btn,
        gen_status,
        runs_btn,
        runs,
        report_id,
        report_btn,
        report_view,
    )


def _default_spec() -> str:
    from tutor.problems.bank import datasets_dir

    return str(datasets_dir() / "generation" / "default.yaml")


class ResearchHandlers:
    """Settings and runs through the service (staff read; researchers change and start)."""

    def __init__(self, service: TutoringService, shell: Shell, tab: ResearchTab) -> None:
        self.service, self.shell, self.tab = service, shell, tab

    def after_login(self, user: UserView) -> dict[Any, Any]:
        t = self.tab
        if not self.service.may(user, "read_runs"):
            return {t.tab: gr.update(visible=False)}
        specs = self.service.role_specs(user)
        updates: dict[Any, Any] = {box: specs[role] for box, role in zip(t.spec_boxes, ROLES, strict=True)}
        out_dir = str(self.service.settings.data_dir / "runs" / "web-generation")
        return {**updates, t.tab: gr.update(visible=True), t.spec_path: _default_spec(), t.out_dir: out_dir}

    def save_models(self, user_state: dict[str, Any] | None, *specs: str) -> str:
        try:
            user = user_of(user_state)
            for role, spec in zip(ROLES, specs, strict=True):
                self.service.set_role_spec(user, role, spec)
            saved = self.service.role_specs(user)
        except TutorError as exc:
            return refusal(exc)
        return "Saved: " + ", ".join(f"{r} = `{s}`" for r, s in saved.items())

    def list_runs(self, user_state: dict[str, Any] | None) -> dict[Any, Any]:
        from student_sim.background import progress

        try:
            found = self.service.list_runs(user_of(user_state))
        except TutorError as exc:
            return {self.shell.status: refusal(exc)}
        rows = []
        for r in found:
            counts = progress(r.run_dir) if r.kind == "generation" and r.run_dir else {}
            done = (
                f"{counts.get('accepted', 0) + counts.get('rejected', 0)}/{r.config.get('jobs', '?')}" if counts else ""
            )
            rows.append([r.id, r.kind, r.status, done, str(r.summary)[:120], r.run_dir or ""])
        return {self.tab.runs: rows}

    def start_generation(self, user_state: dict[str, Any] | None, spec_path: str, out_dir: str) -> str:
        from student_sim.background import start_generation

        try:
            run = self.service.start_run(user_of(user_state), start_generation, spec_path, out_dir)
        except TutorError as exc:
            return refusal(exc)
        jobs = run.config.get("jobs", "?")
        return f"Started run `{run.id}` ({jobs} dialogues) into `{out_dir}`. Press Refresh runs to watch it."

    def open_report(self, user_state: dict[str, Any] | None, run_id: str) -> str:
        try:
            run, report = self.service.run_report(user_of(user_state), run_id)
        except TutorError as exc:
            return refusal(exc)
        if report is None:
            return f"Run `{run.id}` has no report yet (status: {run.status})."
        return (
            f"<iframe srcdoc=\"{html.escape(report, quote=True)}\" style='width:100%;height:900px;border:0'></iframe>"
        )


def connect_research(service: TutoringService, shell: Shell, tab: ResearchTab) -> ResearchHandlers:
    h, t, user = ResearchHandlers(service, shell, tab), tab, shell.user_state
    t.save_btn.click(h.save_models, [user, *t.spec_boxes], t.save_status, api_name="save_models")
    t.gen_btn.click(h.start_generation, [user, t.spec_path, t.out_dir], t.gen_status, api_name="start_generation")
    t.runs_btn.click(h.list_runs, user, [t.runs, shell.status], api_name="list_runs")
    t.report_btn.click(h.open_report, [user, t.report_id], t.report_view, api_name="open_report")
    return h
