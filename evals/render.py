"""A report as a list of blocks, rendered to Markdown and to one self-contained HTML page.

Building the report once as blocks keeps the two renderings identical in content: the Markdown links
plots and example dialogues as files next to it; the HTML embeds the plots as data URIs and the examples
as sections of the page, so it can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

from markdown_it import MarkdownIt


@dataclass(frozen=True)
class Link:
    """A table cell or text that links: to a file in Markdown, to an anchor in HTML."""

    text: str
    md_href: str
    html_href: str


Cell = str | Link


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str  # plain text with `code` spans


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Cell]]
    align_right_from: int = 1  # columns from this one on are numbers


@dataclass(frozen=True)
class Image:
    path: str  # relative to the report
    alt: str
    png: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class Example:
    """An example dialogue: linked from tables, written as its own Markdown file."""

    anchor: str
    title: str
    md_path: str
    lines: list[tuple[str, str, str, str]]  # (speaker, text, code, note)
    outcome: str


@dataclass(frozen=True)
class Markdown:
    """A section written as Markdown by its own module (audit, fidelity card, calibration, ...): kept as is
    in report.md, rendered to HTML with markdown-it in report.html."""

    text: str


Block = Heading | Para | Table | Image | Example | Markdown


def _md_cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f"[{cell.text}]({cell.md_href})"
    return cell.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    examples = [b for b in blocks if isinstance(b, Example)]
    for block in blocks:
        if isinstance(block, Heading):
            out += [f"{'#' * block.level} {block.text}", ""]
        elif isinstance(block, Para):
            out += [block.text, ""]
        elif isinstance(block, Table):
            out.append("| " + " | ".join(block.header) + " |")
            out.append(
                "|" + "|".join("---" if i < block.align_right_from else "---:" for i in range(len(block.header))) + "|"
            )
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
        elif isinstance(block, Image):
            out += [f"![{block.alt}]({block.path})", ""]
        elif isinstance(block, Markdown):
            out += [block.text.strip(), ""]
    if examples:
        out += ["## Example dialogues", ""]
        out += [f"- [{e.title}]({e.md_path}): {e.outcome}" for e in examples]
        out.append("")
    return "\n".join(out)


def example_markdown(example: Example) -> str:
    lines = [f"# {example.title}", "", example.outcome, ""]
    for speaker, text, code, note in example.lines:
        lines.append(f"**{speaker}:** {text}" + (f"  \n<sub>{note}</sub>" if note else ""))
        lines.append("")
        if code:
            lines += ["```python", code.rstrip(), "```", ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
  padding:0 1em;color:#222}
h1{border-bottom:2px solid #ddd;padding-bottom:.3em} h2{margin-top:1.8em;border-bottom:1px solid #eee}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em} th,td{border:1px solid #ddd;padding:.3em .6em}
th{background:#f5f5f5} td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%} pre{background:#f6f6f6;padding:.5em;overflow-x:auto}
code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
details{margin:.6em 0;border:1px solid #e3e3e3;border-radius:4px;padding:.4em .8em}
summary{cursor:pointer;font-weight:600} .turn{margin:.4em 0} .who{font-weight:600}
.tutor .who{color:#1f5fa8} .student .who{color:#2d7d32} .note{color:#777;font-size:.85em}
"""


def _html_text(text: str) -> str:
    escaped = html.escape(text)
    parts = escaped.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _html_cell(cell: Cell, numeric: bool) -> str:
    klass = ' class="num"' if numeric else ""
    if isinstance(cell, Link):
        return f'<td{klass}><a href="{html.escape(cell.html_href)}">{html.escape(cell.text)}</a></td>'
    return f"<td{klass}>{html.escape(cell)}</td>"


def to_html(title: str, blocks: list[Block]) -> str:
    body: list[str] = []
    examples = [b for b in blocks if isinstance(b, Example)]
    for block in blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            body.append(f"<h{level}>{html.escape(block.text)}</h{level}>")
        elif isinstance(block, Para):
            body.append(f"<p>{_html_text(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
            rows = "".join(
                "<tr>" + "".join(_html_cell(c, i >= block.align_right_from) for i, c in enumerate(row)) + "</tr>"
                for row in block.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Image):
            data = base64.b64encode(block.png).decode("ascii")
            body.append(f'<img alt="{html.escape(block.alt)}" src="data:image/png;base64,{data}">')
        elif isinstance(block, Markdown):
            # html=False: text from dialogues inside the section is escaped, never run as markup.
            body.append(MarkdownIt("commonmark", {"html": False}).enable("table").render(block.text))
    if examples:
        body.append("<h2>Example dialogues</h2>")
        for e in examples:
            turns = "".join(
                f'<div class="turn {"tutor" if who.startswith("Tutor") else "student"}"><span class="who">'
                f"{html.escape(who)}:</span> {_html_text(text)}"
                + (f"<pre><code>{html.escape(code.rstrip())}</code></pre>" if code else "")
                + (f'<div class="note">{html.escape(note)}</div>' if note else "")
                + "</div>"
                for who, text, code, note in e.lines
            )
            body.append(
                f'<details id="{html.escape(e.anchor)}"><summary>{html.escape(e.title)}</summary>'
                f"<p>{html.escape(e.outcome)}</p>{turns}</details>"
            )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


__all__ = [
    "Block",
    "Example",
    "Heading",
    "Image",
    "Link",
    "Markdown",
    "Para",
    "Table",
    "example_markdown",
    "to_html",
    "to_markdown",
]
