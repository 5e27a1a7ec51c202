"""Role breaks: a simulated student that speaks as the tutor (or a tutor that speaks as the student).

Small language models asked to play a student drift into the other seat: they write "Tutor:" lines,
praise and grade, or start teaching. Each pattern below is something a student in a tutoring chat does
not say; a student may still ask "can you explain?" or say "I think that's right", so the patterns are
about evaluating, quizzing and speaker labels, not about single words.
"""

from __future__ import annotations

import re


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE | re.MULTILINE)


_STUDENT_BREAKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("speaker-label", _any(r"^\s*\**\s*(?:tutor|teacher|assistant|instructor)\s*\**\s*:")),
    (
        "ai-self-reference",
        _any(
            r"\bas an? (?:ai|language model|tutor|teacher)\b",
            r"\bi(?:'m| am) (?:an ai|a language model|your tutor|your teacher)\b",
        ),
    ),
    (
        "praise",
        _any(
            r"\b(?:great|good|nice|excellent) (?:job|work|thinking|question)\b",
            r"\bwell done\b",
            r"\bkeep (?:it )?up\b",
        ),
    ),
    (
        "grading",
        _any(
            r"\byou(?:'re| are) (?:right|correct|on the right track)\b",
            r"\bthat(?:'s| is) (?:correct|exactly right)\b",
            r"\bcorrect!",
        ),
    ),
    (
        "teaching",
        _any(
            r"\blet(?:'s| us) (?:think|work|try|look|break|start|solve)\b",
            r"\bcan you (?:tell me|think|try|explain (?:to me )?(?:why|how|what))\b",
        ),
    ),
    ("student-address", _any(r"\bdear student\b", r"\bwhat do you think\b")),
)
_TUTOR_BREAKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("speaker-label", re.compile(r"(?im)^\s*\**\s*(?:student|learner|user)\s*\**\s*:")),
    ("ai-self-reference", re.compile(r"(?i)\bi(?:'m| am) (?:an ai|a language model)\b")),
)
_LEADING_LABEL = re.compile(r"^\s*\**\s*(?:student|me|answer)\s*\**\s*:\s*", re.I)


def detect_role_break(text: str, *, speaker: str = "student") -> str | None:
    """The name of the first role-break pattern in `text` for this speaker, or None."""
    for name, pattern in _STUDENT_BREAKS if speaker == "student" else _TUTOR_BREAKS:
        if pattern.search(text):
            return name
    return None


def clean_utterance(text: str, name: str | None = None) -> str:
    """Strip what a model wraps around a student line: a leading `Student:`/name label, quotes, spaces."""
    text = text.strip()
    text = _LEADING_LABEL.sub("", text)
    if name:
        text = re.sub(rf"^\s*{re.escape(name)}\s*:\s*", "", text, flags=re.I)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return text.strip()
