"""The reply's first sentence, from the assessment: what the tutor says about the student's message.

A small model asked to react to an answer praises wrong ones ("Yes, exactly right!") and refuses requests
with a formula ("I'm sorry, but I can't assist with that."). The reaction therefore comes from the
assessment, as one of a few warm templates (picked by the turn, so consecutive turns vary), and the model
writes only the guiding part that follows. A request for the answer is met with a redirect: the wish is
acknowledged and the reason to work it out is given; the guiding part then asks the step's question.
"""

from __future__ import annotations

import re
import zlib

from tutor.record import Assessment, Decision

_SOLVED = (
    "That's it, you've solved the whole problem. Well done!",
    "You got it, that solves the whole problem. Great work!",
    "Well done, that's the answer to the whole problem!",
)
_CORRECT = ("Yes, that's right, nice work!", "That's correct, well done.", "Exactly right, good thinking.")
_FIX_WORKS = ("Your change works, the tests for that bug pass now. Nice work!", "Well done, that fix works.")
_UNDERSTOOD = ("Yes, that's what goes wrong here. Good thinking.", "That's right, you've found the cause.")
_OTHER_PART = (
    "That number answers a different part of the problem.",
    "That's a number from another part of the problem.",
)
_ON_TRACK = ("You're looking in the right place.", "That's a useful lead.")
_NOT_YET = ("Not quite yet.", "Hmm, not quite.", "Good try, but that's not it yet.", "Let's check that one again.")
_SLIP = ("Your method may be fine, but let's check the arithmetic.", "Close, but the calculation needs another look.")
_TESTS_FAIL = ("Not quite yet: some tests still fail.", "Good try, but the tests still fail.")
_REDIRECT = (
    "I know you'd like the answer, but you'll remember it much better if you work it out yourself.",
    "I'd rather not spoil it: working it out yourself is what makes it stick.",
    "You can get there yourself, and that's how it sticks.",
)
_SIZE = (
    "Let's find that out by working it through.",
    "We'll see how big it is once we work it out.",
)
_QUESTION = ("Good question.", "Let's think about that together.")
_STUCK = (
    "That's okay, let's take it one small step at a time.",
    "No problem, we'll work it out together.",
    "That's fine, let's look at it piece by piece.",
)
_EMPTY = ("Take your time.", "No rush.")
_OFF_TOPIC = ("Let's get back to our problem.", "Let's come back to our problem now.")
_NEUTRAL = ("Okay.", "Alright.")
_REFUSAL = re.compile(
    r"(?i)\b(sorry|can(?:'|no)t|unable to)\b.*\b(assist|help|answer|provide|do that)\b"
    r"|(?:^|[.!?]\s+)(?:I'?m sorry|I am sorry|sorry|I apologi[sz]e)\b"
)


def _pick(options: tuple[str, ...], key: str) -> str:
    return options[zlib.crc32(key.encode()) % len(options)]


def acknowledgement(assessment: Assessment, decision: Decision, message: str, turn_index: int) -> str:
    """The opening sentence for this turn (see the module docstring); "" when nothing needs saying."""
    options = _options(assessment, decision, message)
    return _pick(options, f"{turn_index}:{message}") if options else ""


def _options(a: Assessment, d: Decision, message: str) -> tuple[str, ...]:
    if d.class_action == "confirm_solution":
        return _SOLVED
    if a.label == "correct":
        if d.subproblem_state == "completed" and "fix" in d.move_text.lower():
            return _FIX_WORKS
        return _UNDERSTOOD if a.source == "model" else _CORRECT
    if a.label == "partially_correct":
        return _OTHER_PART if "different part" in d.move_text else _ON_TRACK
    if a.label == "incorrect":
        if a.source == "execution" and a.misconception is None and "failing" in a.evidence:
            return _TESTS_FAIL
        return _SLIP if a.misconception == "arithmetic-slip" else _NOT_YET
    return _other(a, d, message)


def _other(a: Assessment, d: Decision, message: str) -> tuple[str, ...]:
    if "answer's size" in a.evidence:
        return _SIZE
    if "asks for the answer" in a.evidence or "They want the answer" in d.move_text:
        return _REDIRECT
    if a.label == "question":
        return _QUESTION
    if a.label == "off_topic":
        return _OFF_TOPIC
    if a.evidence == "empty message" or not message.strip("?. \n"):
        return _EMPTY
    if "stuck" in a.evidence:
        return _STUCK
    return _NEUTRAL if a.label == "unclear" and "greeting" not in a.evidence else ()


def is_refusal(text: str) -> bool:
    """A refusal formula ("I'm sorry, but I can't assist with that."): never a tutor's reply."""
    return bool(_REFUSAL.search(text))
