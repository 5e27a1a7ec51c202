"""The rule-based voice: words an `Intent` in the student's register (verbosity, affect), no model.

Every template states exactly what the intent holds (the number, the explanation, nothing else), so the
tutor's rule-based answer checking reads it the same way the cognitive model meant it. Wording choices
come from the caller's seeded generator.
"""

from __future__ import annotations

import random

from student_sim.profiles import StudentProfile
from student_sim.state import Intent

_OPENERS = {
    "neutral": ["", "", "Okay. "],
    "confident": ["", "Easy. ", "Got it. "],
    "anxious": ["Um, ", "Uh, ", "Hmm, "],
    "frustrated": ["Ugh. ", "Fine. ", ""],
    "curious": ["Oh, ", "Hmm, ", ""],
    "bored": ["ok ", "", "yeah "],
}
_CLOSERS = {
    "neutral": [""],
    "confident": ["", " Pretty sure."],
    "anxious": [" I'm not sure though.", " I hope that's right.", ""],
    "frustrated": ["", " This is taking forever."],
    "curious": ["", " I wonder why that works."],
    "bored": [""],
}
_QUESTIONS = [
    "What do you mean by that?",
    "I don't get what I'm supposed to find here.",
    "Can you give me a hint?",
    "Which numbers should I use for this part?",
    "Wait, why do we need this step?",
]
_DEBUG_QUESTIONS = [
    "Which line should I look at?",
    "What is the program supposed to do here?",
    "I don't get why the test fails. Can you give me a hint?",
    "How do I know which part is wrong?",
]
_DONT_KNOW = [
    "I don't know.",
    "I'm not sure how to do this part.",
    "No idea, sorry.",
    "I don't know how to start.",
]
_OFF_TOPIC = [
    "Can we take a break? I'm hungry.",
    "Do you like video games?",
    "My friend says math is useless anyway.",
    "What time is it? My show starts soon.",
    "I had a really weird dream last night.",
]
_ACK = ["Thanks, I get it now!", "Okay, thanks!", "Cool, done.", "Thank you!"]


def format_number(value: float) -> str:
    """A number as a student writes it: no trailing zeros, no exponent."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def format_answer(intent: Intent) -> str:
    """The answer the intent holds: `7.4 dollars`, `12 m/s`, or the text answer."""
    if intent.value is not None:
        number = format_number(intent.value)
        return f"{number} {intent.unit}" if intent.unit else number
    return intent.answer_text or ""


def _lower_first(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text else text


def _join(opener: str, body: str, closer: str = "") -> str:
    """`opener` + `body` + `closer`, lowering the body's first letter after a comma ("Um, it's 4")."""
    if opener.endswith(", ") and body[:1].isupper() and not body.startswith(("I ", "I'")):
        body = body[0].lower() + body[1:]
    return f"{opener}{body}{closer}".strip()


def render(intent: Intent, profile: StudentProfile, rng: random.Random, *, debugging: bool = False) -> str:
    """The student's words for `intent`."""
    opener = rng.choice(_OPENERS[profile.affect])
    closer = rng.choice(_CLOSERS[profile.affect])
    verbosity = profile.verbosity
    if intent.kind == "answer":
        answer = format_answer(intent)
        if verbosity == "terse":
            # Real students rarely phrase an answer as a question (MathDial: 0.4% of student turns ask one);
            # questions come from the profile's question rate, not from the wording of answers.
            return answer + ("..." if profile.affect == "anxious" else "")
        if verbosity == "verbose":
            body = rng.choice(
                [
                    f"Let me think. I worked it out step by step, and the answer I get is {answer}.",
                    f"So I went through the numbers again and I think the answer is {answer}.",
                    f"Okay, I did the calculation on paper and my answer is {answer}.",
                ]
            )
            return _join(opener, body, closer)
        body = rng.choice([f"I think it's {answer}.", f"It's {answer}.", f"My answer is {answer}."])
        return _join(opener, body, closer)
    if intent.kind == "explain":
        idea = _lower_first(intent.answer_text or "")
        if intent.correct:
            body = f"I think the bug is that {idea}."
        else:
            body = f"Maybe the problem is {idea}." if idea.startswith("on line ") else f"I think {idea}."
        if verbosity == "verbose":
            body = f"I read the code again line by line. {body} That's my guess anyway."
        return _join(opener, body) if verbosity != "terse" else body
    if intent.kind == "fix":
        change = (intent.answer_text or "").strip()
        if verbosity == "terse":
            return f"Changed it to `{change}`." if change else "I changed the code."
        body = (
            f"I changed the code: now it says `{change}`. I ran it again."
            if change
            else "I changed the code and ran it again."
        )
        return _join(opener, body)
    if intent.kind == "question":
        return _join(opener, rng.choice(_DEBUG_QUESTIONS if debugging else _QUESTIONS))
    if intent.kind == "dont_know":
        return _join(opener, rng.choice(_DONT_KNOW))
    if intent.kind == "off_topic":
        return rng.choice(_OFF_TOPIC)
    return rng.choice(_ACK)
