"""Export files the app hands out: sessions in the dialogue schema (JSON Lines) or as Markdown.

The pages come from the service, already shaped by the caller's role, so a student's file holds what their
chat shows and nothing more. Files go to a fresh temporary folder, which Gradio serves as a download.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Literal

from student_sim.session_export import dialogues_jsonl, dialogues_markdown
from tutor.service_views import SessionPage

ExportFormat = Literal["JSON Lines", "Markdown"]
EXPORT_FORMATS: list[ExportFormat] = ["JSON Lines", "Markdown"]


def export_file(pages: list[SessionPage], fmt: str, title: str, stem: str) -> str:
    """Write `pages` in `fmt` to a new temporary file named after `stem`; returns its path."""
    folder = Path(tempfile.mkdtemp(prefix="socratic-export-"))
    safe_stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-") or "export"
    if fmt == "Markdown":
        path, text = folder / f"{safe_stem}.md", dialogues_markdown(pages, title)
    else:
        path, text = folder / f"{safe_stem}.jsonl", dialogues_jsonl(pages)
    path.write_text(text, encoding="utf-8")
    return str(path)
