"""Results of the bad-reply audit (`evals.audit`): one `ReplyAudit` per reply, the `AuditSummary` over many,
and the report section `render_audit_markdown(summary)` (a `evals.render.Markdown` block's text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

Rule = Literal["false_praise", "answers_own_question", "unsupported_number", "off_problem"]
RULES: tuple[Rule, ...] = ("false_praise", "answers_own_question", "unsupported_number", "off_problem")
RULE_LABELS: dict[str, str] = {
    "false_praise": "(a) praises or confirms a wrong or empty answer",
    "answers_own_question": "(b) answers the question it asks",
    "unsupported_number": "(c) states a number no calculation, the problem or the student gave",
    "off_problem": "(d) talks about things not in the problem",
}

# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RuleHit:
    """One rule that fired on a reply, with the words that made it fire."""

    rule: Rule
    evidence: str


@dataclass(frozen=True)
class ReplyAudit:
    """The audit of one tutor reply."""

    dialogue_id: str
    turn_index: int
    problem_id: str
    student_message: str
    reply: str
    hits: tuple[RuleHit, ...]

    @property
    def rules(self) -> frozenset[str]:
        """The rules that fired."""
        return frozenset(h.rule for h in self.hits)

    @property
    def failed(self) -> bool:
        return bool(self.hits)


class AuditExample(BaseModel):
    """A flagged reply as the report shows it."""

    dialogue_id: str
    turn_index: int
    problem_id: str
    student_message: str
    reply: str
    evidence: str


class RuleFigure(BaseModel):
    rule: str
    label: str
    count: int
    share: float = Field(description="Share of all audited replies that fail this rule.")


class AuditSummary(BaseModel):
    """The audit over many replies: the share failing each rule and any rule, with examples."""

    replies: int
    failing_any: int
    share_any: float
    rules: list[RuleFigure]
    examples: dict[str, list[AuditExample]] = Field(default_factory=dict)


def summarize(audits: Sequence[ReplyAudit], examples_per_rule: int = 3) -> AuditSummary:
    """Shares of replies failing each rule and any rule, with the first examples of each."""
    n = len(audits)
    figures = []
    examples: dict[str, list[AuditExample]] = {}
    for rule in RULES:
        failing = [a for a in audits if rule in a.rules]
        figures.append(
            RuleFigure(rule=rule, label=RULE_LABELS[rule], count=len(failing), share=len(failing) / n if n else 0.0)
        )
        examples[rule] = [
            AuditExample(
                dialogue_id=a.dialogue_id,
                turn_index=a.turn_index,
                problem_id=a.problem_id,
                student_message=a.student_message,
                reply=a.reply,
                evidence="; ".join(h.evidence for h in a.hits if h.rule == rule),
            )
            for a in failing[:examples_per_rule]
        ]
    failing_any = sum(a.failed for a in audits)
    return AuditSummary(
        replies=n, failing_any=failing_any, share_any=failing_any / n if n else 0.0, rules=figures, examples=examples
    )


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_audit_markdown(summary: AuditSummary, heading_level: int = 2) -> str:
    """The report section: one row per rule (share, count, an example) and the flagged examples."""
    lines = [
        f"{'#' * heading_level} Bad-reply audit",
        "",
        f"{summary.replies} tutor replies checked by rules against their turn records (`evals/audit.py`); "
        f"{summary.failing_any} ({100 * summary.share_any:.0f}%) fail at least one rule.",
        "",
        "| rule | share | count | example |",
        "|---|---:|---:|---|",
    ]
    for fig in summary.rules:
        first = summary.examples.get(fig.rule) or []
        example = f'"{_cell(first[0].reply, 100)}"' if first else "-"
        lines.append(f"| {fig.label} | {100 * fig.share:.0f}% | {fig.count} | {example} |")
    lines.append(f"| any rule | {100 * summary.share_any:.0f}% | {summary.failing_any} | |")
    lines.append("")
    for fig in summary.rules:
        shown = summary.examples.get(fig.rule) or []
        if not shown:
            continue
        lines += [f"{'#' * (heading_level + 1)} {fig.label}", ""]
        for ex in shown:
            where = (
                f"{ex.dialogue_id} turn {ex.turn_index}" if ex.dialogue_id else f"{ex.problem_id} turn {ex.turn_index}"
            )
            lines.append(
                f'- {where}: student "{_cell(ex.student_message or "(empty)", 80)}" -> tutor '
                f'"{_cell(ex.reply)}" ({_cell(ex.evidence, 200)})'
            )
        lines.append("")
    return "\n".join(lines)
