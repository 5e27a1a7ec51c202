"""Wrong answers a student could plausibly reach, generated from a worked solution by common error patterns.

A worked solution (GSM8K / MathDial style) states one calculation per line: `12+3=15 spoons`,
`3 bids * $50 per bid = $150`. `parse_solution` reads each line's last calculation into a `SolutionStep`
(operands, operators, result); an operand equal to an earlier step's result is a reference to it, so an
error made early runs through the rest of the chain. `generate_wrong_answers` then applies each error
pattern (one at a time) and re-evaluates the chain to the final answer:

| slug | what the student does |
| --- | --- |
| `wrong-operation` | one operator replaced (+ <-> -, * <-> /, * <-> +) in one step |
| `reversed-order` | the operands of one subtraction or division swapped |
| `forgot-step` | stops at an earlier step's result |
| `used-wrong-quantity` | one given number replaced by another number of the statement |
| `percent-as-number` | a rate used as a whole number (0.1 -> 10) or a percent as a rate |
| `extra-step` | one more operation with a given number after the right answer |
| `unit-conversion` | the answer off by a usual conversion factor (60, 100, 1000, 12, 24, 7) |
| `arithmetic-slip` | the answer off by one, doubled/halved, or off by a factor of ten |
| `combined-given-numbers` | two numbers of the statement combined by one operation, no plan |

Only the statement and the right solution feed the candidates; nothing a student wrote does. Pure functions,
no model: the tutor can call them for any problem whose steps carry a worked solution.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from tutor.problems.answers import extract_numbers

ERROR_PATTERNS = (
    "wrong-operation",
    "reversed-order",
    "forgot-step",
    "used-wrong-quantity",
    "percent-as-number",
    "extra-step",
    "unit-conversion",
    "arithmetic-slip",
    "combined-given-numbers",
)
_TOKEN = re.compile(r"(\d[\d,]*(?:\.\d+)?|\.\d+)\s*(%)?|([+\-*/x×÷])")
_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_SWAPS = {"+": ("-", "*"), "-": ("+",), "*": ("/", "+"), "/": ("*",)}
_FACTORS = (60, 100, 1000, 12, 24, 7)
_AST_OPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass(frozen=True)
class Operand:
    """A number in a calculation: a given value, or a reference to an earlier step's result."""

    value: float
    ref: int | None = None


@dataclass(frozen=True)
class SolutionStep:
    """One line of a worked solution: `operands[0] ops[0] operands[1] ... = result` (no operands: a stated
    number only)."""

    operands: tuple[Operand, ...]
    ops: tuple[str, ...]
    result: float


@dataclass(frozen=True)
class GeneratedWrong:
    """A wrong final answer, the error pattern that produces it, and how."""

    value: float
    misconception: str
    detail: str
    uses: tuple[float, ...] = ()  # the numbers the error brings in or works on (a teacher or student may name them)


def parse_solution(lines: Sequence[str]) -> list[SolutionStep]:
    """The calculation chain of a worked solution, one step per line that states a number.

    A line's last `... = result` whose left side evaluates to the result becomes a step with operands; a
    line that states a number without such a calculation is a step with its last number as the result.
    """
    steps: list[SolutionStep] = []
    for line in lines:
        step = _parse_line(line, steps)
        if step is not None:
            steps.append(step)
    return steps


def _parse_line(line: str, earlier: Sequence[SolutionStep]) -> SolutionStep | None:
    parts = line.split("=")
    for left, right in reversed(list(zip(parts, parts[1:], strict=False))):
        result_numbers = extract_numbers(right)
        expression = _expression(left)
        if not result_numbers or expression is None:
            continue
        result = result_numbers[0].value
        values, ops = expression
        if _close(_evaluate(values, ops), result):
            operands = tuple(Operand(v, _reference(v, earlier)) for v in values)
            return SolutionStep(operands, ops, result)
    numbers = extract_numbers(line)
    return SolutionStep((), (), numbers[-1].value) if numbers else None


def _expression(text: str) -> tuple[list[float], tuple[str, ...]] | None:
    """The trailing `number op number ...` of `text` (words between the tokens ignored)."""
    tokens: list[tuple[str, float | str]] = []
    for match in _TOKEN.finditer(text):
        if match.group(1) is not None:
            value = float(match.group(1).replace(",", ""))
            tokens.append(("num", value / 100 if match.group(2) else value))
        else:
            symbol = {"x": "*", "×": "*", "÷": "/"}.get(match.group(3), match.group(3))
            tokens.append(("op", symbol))
    values: list[float] = []
    ops: list[str] = []
    expect = "num"
    for kind, token in reversed(tokens):
        if kind != expect:
            break
        (values if kind == "num" else ops).append(token)  # type: ignore[arg-type]
        expect = "op" if kind == "num" else "num"
    if len(values) < 2 or len(ops) != len(values) - 1:
        return None
    return values[::-1], tuple(ops[::-1])


def _reference(value: float, earlier: Sequence[SolutionStep]) -> int | None:
    for index in range(len(earlier) - 1, -1, -1):
        if _close(earlier[index].result, value):
            return index
    return None


def _close(a: float, b: float) -> bool:
    return math.isfinite(a) and abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _evaluate(values: Sequence[float], ops: Sequence[str]) -> float:
    """`values` joined by `ops` with the usual precedence (an AST of our own numbers, never text eval)."""
    source = "".join(f"{v!r}{op}" for v, op in zip(values, (*ops, ""), strict=True))
    try:
        return _eval_node(ast.parse(source, mode="eval").body)
    except (ZeroDivisionError, OverflowError, ValueError):
        return math.nan


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _AST_OPS:
        return _AST_OPS[type(node.op)](_eval_node(node.left), _eval_node(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval_node(node.operand)
    raise ValueError("not an arithmetic expression")


def run_chain(steps: Sequence[SolutionStep]) -> float:
    """The final result of the chain, each reference taking the (re)computed result it points to."""
    results: list[float] = []
    for step in steps:
        if not step.operands:
            results.append(step.result)
            continue
        values = [results[o.ref] if o.ref is not None else o.value for o in step.operands]
        results.append(_evaluate(values, step.ops))
    return results[-1] if results else math.nan


def generate_wrong_answers(statement: str, steps: Sequence[SolutionStep]) -> list[GeneratedWrong]:
    """Every wrong final answer the error patterns produce, in pattern order, each value once per pattern;
    the right answer and non-finite values left out."""
    if not steps:
        return []
    right = run_chain(steps)
    given = _unique(m.value for m in extract_numbers(statement))
    produced: list[GeneratedWrong] = []
    seen: set[tuple[str, float]] = set()
    for slug, value, detail, uses in _all_patterns(steps, given, right):
        key = (slug, round(value, 6))
        if math.isfinite(value) and not _close(value, right) and key not in seen:
            seen.add(key)
            produced.append(GeneratedWrong(round(value, 6), slug, detail, uses))
    return produced


Produced = tuple[str, float, str, tuple[float, ...]]  # slug, final value, how, numbers it involves


def _all_patterns(steps: Sequence[SolutionStep], given: list[float], right: float) -> Iterator[Produced]:
    yield from _operation_errors(steps)
    yield from (("forgot-step", s.result, f"stopped at step {i + 1}", (s.result,)) for i, s in enumerate(steps[:-1]))
    yield from _quantity_errors(steps, given)
    yield from _percent_errors(steps)
    for n in given:
        for op in _OPS:
            value = _OPS[op](right, n) if not (op == "/" and n == 0) else math.nan
            yield "extra-step", value, f"answer {op} {n:g}", (n,)
    for factor in _FACTORS:
        yield "unit-conversion", right * factor, f"answer * {factor}", (float(factor),)
        yield "unit-conversion", right / factor, f"answer / {factor}", (float(factor),)
    for value, how in ((right + 1, "+ 1"), (right - 1, "- 1"), (right * 2, "* 2"), (right / 2, "/ 2")):
        yield "arithmetic-slip", value, f"answer {how}", ()
    yield from (("arithmetic-slip", right * f, f"answer * {f:g}", ()) for f in (10, 0.1))
    yield from _combined_given(given)


def _operation_errors(steps: Sequence[SolutionStep]) -> Iterator[Produced]:
    for i, step in enumerate(steps):
        operands = tuple(o.value for o in step.operands)
        for j, op in enumerate(step.ops):
            for other in _SWAPS[op]:
                ops = (*step.ops[:j], other, *step.ops[j + 1 :])
                value = _with_step(steps, i, replace(step, ops=ops))
                yield "wrong-operation", value, f"step {i + 1}: {op} -> {other}", operands
            if op in "-/" and len(step.operands) == 2:
                swapped = replace(step, operands=step.operands[::-1])
                yield (
                    "reversed-order",
                    _with_step(steps, i, swapped),
                    f"step {i + 1}: operands of {op} swapped",
                    operands,
                )


def _quantity_errors(steps: Sequence[SolutionStep], given: list[float]) -> Iterator[Produced]:
    for i, step in enumerate(steps):
        for j, operand in enumerate(step.operands):
            if operand.ref is not None:
                continue
            for number in given:
                if not _close(number, operand.value):
                    changed = replace(step, operands=_replaced(step.operands, j, Operand(number)))
                    detail = f"step {i + 1}: {operand.value:g} -> {number:g}"
                    yield "used-wrong-quantity", _with_step(steps, i, changed), detail, (operand.value, number)


def _percent_errors(steps: Sequence[SolutionStep]) -> Iterator[Produced]:
    for i, step in enumerate(steps):
        for j, operand in enumerate(step.operands):
            if operand.ref is not None:
                continue
            scaled = operand.value * 100 if 0 < operand.value < 1 else operand.value / 100
            changed = replace(step, operands=_replaced(step.operands, j, Operand(scaled)))
            detail = f"step {i + 1}: {operand.value:g} -> {scaled:g}"
            yield "percent-as-number", _with_step(steps, i, changed), detail, (operand.value, scaled)


def _combined_given(given: list[float]) -> Iterator[Produced]:
    for a_index, a in enumerate(given):
        for b in given[a_index + 1 :]:
            for op, fn in _OPS.items():
                for x, y in ((a, b), (b, a)) if op in "-/" else ((a, b),):
                    value = fn(x, y) if not (op == "/" and y == 0) else math.nan
                    yield "combined-given-numbers", value, f"{x:g} {op} {y:g}", (x, y)


def _with_step(steps: Sequence[SolutionStep], index: int, step: SolutionStep) -> float:
    return run_chain([*steps[:index], step, *steps[index + 1 :]])


def _replaced(operands: tuple[Operand, ...], index: int, new: Operand) -> tuple[Operand, ...]:
    return (*operands[:index], new, *operands[index + 1 :])


def _unique(values: Iterator[float] | Sequence[float]) -> list[float]:
    out: list[float] = []
    for value in values:
        if not any(_close(value, seen) for seen in out):
            out.append(value)
    return out
