"""Code soliloquies (after Higgs): "do I need to calculate?" -> write Python -> run it -> use the result.

Rules decide first: an arithmetic expression in the student's message is checked by running it (the code
is the expression itself, no model needed); a plain answer or a question without numbers needs nothing.
The model is asked only when rules cannot tell (numbers and operation words but no clean expression).
When the model writes code, it runs in the sandbox and is repaired at most `max_repairs` times from the
error; after that the soliloquy gives up and the tutor replies without the number.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from tutor.errors import TutorError
from tutor.problems.numbers import printed_number
from tutor.record import ModelCall, Repair, Soliloquy
from tutor.sandbox import Limits, Sandbox

log = logging.getLogger(__name__)

_NUM = r"\d+(?:[.,]\d+)?"
_MNUM = rf"\$?\s*(?P<{{}}>{_NUM})"  # a number, possibly in dollars ("$5")
_OP = r"[-+*/x×÷]"
_CLAIM = (
    r"(?:\s*(?:=|is|equals|makes|gives|(?:and|to|I|you|we)\s+(?:get|got|gets)|that'?s|which\s+is)"
    rf"\s*\$?\s*(?P<claim>-?{_NUM}))?"
)
# "134/40 = 3.35", "7 x 0.4 is 2.8", "40*3", "$5 - $2.80" (at least one operator between numbers)
_EXPR = re.compile(
    rf"(?P<expr>\(?\s*\$?{_NUM}\s*\)?(?:\s*{_OP}\s*\(?\s*\$?{_NUM}\s*\)?)+){_CLAIM}",
    re.IGNORECASE,
)
# The same calculations in words: "7 times 0.40", "multiplied 7 by 0.4", "subtract 2.80 from 5".
_A, _B = _MNUM.format("a"), _MNUM.format("b")
_WORD_EXPRS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + _CLAIM, re.IGNORECASE), template)
    for pattern, template in (
        (rf"{_A}\s+(?:times|multiplied\s+by)\s+{_B}", "{a} * {b}"),
        (rf"\bmultipl(?:y|ied|ying)\s+{_A}\s+(?:by|with|and)\s+{_B}", "{a} * {b}"),
        (rf"\bproduct\s+of\s+{_A}\s+and\s+{_B}", "{a} * {b}"),
        (rf"{_A}\s+divided\s+by\s+{_B}", "{a} / {b}"),
        (rf"\bdivid(?:e|ed|ing)\s+{_A}\s+by\s+{_B}", "{a} / {b}"),
        (rf"{_A}\s+plus\s+{_B}", "{a} + {b}"),
        (rf"\b(?:add(?:ed|ing)?|sum\s+of)\s+{_A}\s+(?:and|to)\s+{_B}", "{a} + {b}"),
        (rf"{_A}\s+minus\s+{_B}", "{a} - {b}"),
        (rf"\b(?:subtract(?:ed|ing)?|took|take)\s+{_B}\s+(?:from|away\s+from)\s+{_A}", "{a} - {b}"),
    )
)
_OP_WORDS = re.compile(r"(?i)\b(times|multipl\w*|divid\w*|plus|minus|add\w*|subtract\w*|product|quotient|sum)\b")
_FENCE = re.compile(r"```(?:python)?\s*\n(.*?)```", re.DOTALL)


_EXPLAIN = """import itertools
value, numbers = {value!r}, {numbers!r}
ops = {{"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
       "/": lambda a, b: a / b if b else None}}
for a, b in itertools.permutations(numbers, 2):
    for sign, op in ops.items():
        got = op(a, b)
        if got is not None and abs(got - value) <= 1e-6 * max(1.0, abs(value)):
            print(f"{{a:g}} {{sign}} {{b:g}}")
            raise SystemExit
"""


@dataclass(frozen=True)
class Expression:
    python: str
    text: str
    claimed: float | None


def _claim(match: re.Match[str]) -> float | None:
    claim = match.group("claim")
    return float(claim.replace(",", "")) if claim else None


def _symbolic(text: str) -> tuple[int, Expression] | None:
    for match in _EXPR.finditer(text):
        raw = match.group("expr")
        if not re.search(rf"{_NUM}\s*\)?\s*{_OP}\s*\(?\s*\$?{_NUM}", raw):
            continue
        if re.fullmatch(rf"\s*{_NUM}\s*-\s*{_NUM}\s*", raw) and match.group("claim") is None:
            continue  # "3-4 buses" is a range, not a subtraction
        python = raw.replace("×", "*").replace("÷", "/").replace(",", "").replace("$", "")
        python = re.sub(r"(?i)(?<=[\d)\s])x(?=[\s\d(])", "*", python)
        return match.start(), Expression(python=python.strip(), text=match.group(0).strip(), claimed=_claim(match))
    return None


def _in_words(text: str) -> tuple[int, Expression] | None:
    found: list[tuple[int, Expression]] = []
    for pattern, template in _WORD_EXPRS:
        match = pattern.search(text)
        if match is not None:
            a, b = (match.group(k).replace(",", "") for k in ("a", "b"))
            found.append(
                (
                    match.start(),
                    Expression(python=template.format(a=a, b=b), text=match.group(0).strip(), claimed=_claim(match)),
                )
            )
    return min(found, key=lambda f: f[0]) if found else None


def find_expression(text: str) -> Expression | None:
    """The first arithmetic expression a student wrote (in symbols or in words), as Python, with the
    result they claim (if any)."""
    candidates = [c for c in (_symbolic(text), _in_words(text)) if c is not None]
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


class _Decision(BaseModel):
    needs_calculation: bool = Field(description="True if a calculation is needed to reply correctly.")
    description: str = Field("", description="What to calculate, in words, with the numbers.")


class _Program(BaseModel):
    code: str = Field(description="A short Python program that prints the result as its last line.")


class Soliloquist:
    """Runs soliloquies for one tutor: rules, then model, then sandbox, with bounded repairs."""

    def __init__(self, sandbox: Sandbox, model: BaseChatModel | None, max_repairs: int = 2) -> None:
        self.sandbox = sandbox
        self.model = model
        self.max_repairs = max_repairs
        self.limits = Limits()

    def check_student_arithmetic(self, message: str) -> Soliloquy | None:
        """Rules: if the student wrote an expression, run it. None when there is nothing to calculate."""
        expr = find_expression(message)
        if expr is None:
            return None
        code = f"print({expr.python})"
        result = self.sandbox.run(code, limits=self.limits)
        value = printed_number(result.stdout) if result.ok else None
        return Soliloquy(
            needed=True,
            decided_by="rules",
            reason=f"the student wrote '{expr.text}'",
            purpose="check the student's arithmetic",
            code=code,
            stdout=result.stdout[-500:],
            ok=value is not None,
            value=value,
            error=None if value is not None else (result.stderr[-300:] or "no numeric output"),
        )

    def explain_number(self, value: float, givens: list[float]) -> Soliloquy | None:
        """Rules: which one operation on two of the problem's numbers gives the student's number ("7.4 is
        7 + 0.4"), found by running a search in the sandbox. None when no such operation gives it."""
        numbers = list(dict.fromkeys(round(g, 6) for g in givens))[:12]  # in the order the problem gives them
        if len(numbers) < 2:
            return None
        code = _EXPLAIN.format(value=value, numbers=numbers)
        result = self.sandbox.run(code, limits=self.limits)
        found = result.stdout.strip().splitlines()[-1] if result.ok and result.stdout.strip() else ""
        if not found:
            return None
        return Soliloquy(
            needed=True,
            decided_by="rules",
            reason=f"how the student got {value:g}",
            purpose="explain the student's number",
            code=code,
            stdout=result.stdout[-500:],
            ok=True,
            value=value,
        )

    def rules_cannot_tell(self, message: str) -> bool:
        """Numbers and operation words but no clean expression: only the model can say."""
        return (
            bool(_OP_WORDS.search(message)) and len(re.findall(_NUM, message)) >= 2 and find_expression(message) is None
        )

    def decide_with_model(self, message: str, context: str, calls: list[ModelCall]) -> _Decision | None:
        if self.model is None:
            return None
        prompt = [
            SystemMessage(
                content="You decide whether a tutor must compute something to answer a student. Reply in JSON."
            ),
            HumanMessage(
                content=f"Problem: {context}\nStudent: {message}\n"
                "Does checking the student's message need a calculation? If yes, describe it with the numbers."
            ),
        ]
        return self._structured(_Decision, prompt, "soliloquy-decide", calls)

    def calculate(self, description: str, calls: list[ModelCall], decided_by: str = "model") -> Soliloquy:
        """Have the model write a program for `description`, run it, repair it at most `max_repairs` times."""
        record = Soliloquy(needed=True, decided_by=decided_by, reason=description, purpose=description)  # type: ignore[arg-type]
        if self.model is None:
            record.error = "no model to write the calculation"
            return record
        request = (
            f"Write a short Python program (standard library only) that computes: {description}\n"
            "It must print only the final number as its last line."
        )
        messages = [
            SystemMessage(content="You write tiny, correct Python programs. Reply in JSON."),
            HumanMessage(content=request),
        ]
        for attempt in range(self.max_repairs + 1):
            program = self._structured(
                _Program, messages, "soliloquy-code" if attempt == 0 else "soliloquy-repair", calls
            )
            if program is None:
                record.error = "the model did not write a program"
                return record
            code = program.code.strip()
            result = self.sandbox.run(code, limits=self.limits)
            value = printed_number(result.stdout) if result.ok else None
            if value is not None:
                record.code, record.stdout, record.value, record.ok = code, result.stdout[-500:], value, True
                return record
            error = (result.stderr or result.stdout or "no numeric output").strip()[-400:]
            if result.timed_out:
                error = "the program timed out"
            if attempt < self.max_repairs:
                record.repairs.append(Repair(code=code, error=error))
                messages = [
                    *messages,
                    HumanMessage(content=f"That program failed:\n{error}\nFix it. Print only the final number."),
                ]
            else:
                record.code, record.error = code, f"gave up after {self.max_repairs} repairs: {error}"
        return record

    def _structured(self, schema: type[BaseModel], messages: list, purpose: str, calls: list[ModelCall]):  # type: ignore[no-untyped-def]
        import time

        assert self.model is not None
        start = time.perf_counter()
        try:
            result = self.model.with_structured_output(schema).invoke(messages)
        except TutorError as exc:
            calls.append(ModelCall(purpose=purpose, latency_s=time.perf_counter() - start, ok=False, error=exc.message))
            log.info("soliloquy model call failed: %s", exc)
            return None
        calls.append(ModelCall(purpose=purpose, latency_s=time.perf_counter() - start))
        return result


def extract_code(text: str) -> str:
    """The first fenced code block of a reply, or the reply itself."""
    match = _FENCE.search(text)
    return (match.group(1) if match else text).strip()
