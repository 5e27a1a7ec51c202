"""Renders a tutor turn's hidden reasoning for people: the "tutor's thinking" panel of the app."""

from __future__ import annotations

import html
from typing import Any

from tutor.record import TutorTurn

_STATUS = {"done": "[done]", "active": "[now]", "pending": "[todo]"}


def knowledge_bars_html(mastery: dict[str, float]) -> str:
    rows = []
    for concept, value in sorted(mastery.items()):
        pct = max(0, min(100, round(float(value) * 100)))
        rows.append(
            f"<div style='display:flex;align-items:center;gap:8px;margin:2px 0'>"
            f"<span style='width:180px;font-size:0.85em'>{html.escape(concept)}</span>"
            f"<span style='flex:1;background:#e5e7eb;border-radius:4px;height:10px'>"
            f"<span style='display:block;width:{pct}%;background:#6366f1;height:10px;border-radius:4px'></span></span>"
            f"<span style='width:40px;font-size:0.85em'>{pct}%</span></div>"
        )
    return "<div class='knowledge-bars'>" + "".join(rows) + "</div>"


def thinking_markdown(record: dict[str, Any] | TutorTurn | None) -> str:
    """Markdown for one turn: assessment, decision labels, plan tree, soliloquies, guard verdict."""
    if record is None or (isinstance(record, dict) and "assessment" not in record):
        return "_No tutor turn yet: send a message to see the tutor's reasoning._"
    turn = record if isinstance(record, TutorTurn) else TutorTurn.model_validate(record)
    a, d = turn.assessment, turn.decision
    lines = [
        f"**Assessment:** `{a.label}` (decided by {a.source})"
        + (f", misconception `{a.misconception}`" if a.misconception else "")
        + f" — {a.evidence}",
        f"**Decision (CLASS):** action `{d.class_action}`, subproblem `{d.subproblem_state}`",
        f"**Decision (Bridge):** error `{d.bridge_error}`, strategy `{d.bridge_strategy}`, "
        f"intention `{d.bridge_intention}`",
        f"**Move:** {d.move_text}",
        "**Plan**",
    ]
    lines = ["\n\n".join(lines), ""]
    for n in turn.plan.nodes:
        indent = "    " if n.parent else ""
        mark = " ← now" if n.id == turn.plan.current else ""
        lines.append(f"{indent}- {_STATUS.get(n.status, '')} `{n.id}` {n.title} (tries: {n.attempts}){mark}")
    if turn.soliloquies:
        lines += ["", "**Code soliloquies**"]
        for s in turn.soliloquies:
            lines.append(f"- {s.purpose or s.reason} (decided by {s.decided_by}); ok={s.ok}, repairs={len(s.repairs)}")
            if s.code:
                lines += ["", "```python", s.code, "```", f"output: `{(s.stdout or s.error or '').strip()[:200]}`"]
    if turn.tests:
        passed = sum(t.status == "passed" for t in turn.tests)
        lines += [
            "",
            f"**Tests:** {passed}/{len(turn.tests)} pass"
            + (f"; bugs resolved: {', '.join(turn.resolved_bugs)}" if turn.resolved_bugs else ""),
        ]
    verdict = "passed" if turn.leak.passed else "no draft passed, last-resort question sent"
    lines += [
        "",
        f"**Leak guard and consistency check:** {verdict}; rejected drafts: {len(turn.leak.attempts)}"
        + ("; fell back to the scaffold's question" if turn.leak.fallback_used else ""),
    ]
    for attempt in turn.leak.attempts:
        lines.append(f"- rejected: {'; '.join(attempt.reasons)}")
    errors = [c.error for c in turn.model_calls if not c.ok and c.error]
    if errors:
        lines.append(f"**Model problems:** {'; '.join(errors)}")
    lines.append(f"\n_Model calls: {len(turn.model_calls)}; turn time {turn.timings.get('total_s', 0):.1f} s_")
    return "\n".join(lines)
