"""The problem format: pydantic models for math, physics and debugging problems.

These models are the authority on the YAML layout described in `datasets/FORMAT.md`;
`datasets/problem.schema.json` is generated from them (`socratic problems schema`). Everything here is
structural: the rules need no execution. The rules that run programs live in `tutor.problems.verify`.

Imported problems (`source` other than `original`) may lack parts the public formats do not carry (hints,
typical wrong answers, step programs, concepts, difficulty). They must say so in `missing`, so a consumer
can tell "this problem has no hints" from "someone forgot the hints". Original problems may lack nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from tutor.files import atomic_write_text
from tutor.problems.ladders import LadderHint

ORIGINAL = "original"
ID_PATTERN = r"^[a-z0-9-]+$"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
STEP_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
TEST_NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"

ORIGINAL_STEPS = (2, 5)  # inclusive bounds on steps for original problems
MAX_IMPORTED_STEPS = 12

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description="Lowercase slug: a-z, 0-9, single hyphens.")]
Missing = Literal["hints", "wrong_answers", "programs", "concepts", "difficulty", "patch"]


class _Model(BaseModel):
    # Frozen so a loaded bank can be shared (and cached) without anyone editing a problem in place.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for value in values:
        if value in seen and value not in dupes:
            dupes.append(value)
        seen.add(value)
    return dupes


# ---------------------------------------------------------------------------------------------- answers


class NumericAnswer(_Model):
    """A number, optionally with a unit, accepted within an absolute tolerance."""

    value: float = Field(description="The number, expressed in `unit`.")
    unit: str | None = Field(
        None,
        description='Unit of `value`, e.g. "m/s", "N", "dollars", "%", "buses"; null for a pure number. '
        "Units pint knows are compared as units; other words are labels.",
    )
    tolerance: float = Field(0.001, ge=0, description="Absolute tolerance for accepting an answer.")
    convert_units: bool = Field(
        False,
        description="Accept the value in any compatible unit (72 km/h == 20 m/s). Needs a unit pint knows.",
    )

    @field_validator("unit")
    @classmethod
    def _unit_not_blank(cls, unit: str | None) -> str | None:
        if unit is not None and not unit.strip():
            raise ValueError("unit must be null or a non-empty string")
        return unit.strip() if unit is not None else None

    @model_validator(mode="after")
    def _convertible_needs_unit(self) -> NumericAnswer:
        if self.convert_units and self.unit is None:
            raise ValueError("convert_units: true needs a unit")
        return self


class TextAnswer(_Model):
    """A short text answer, matched after normalisation (case, punctuation, articles)."""

    text: str = Field(min_length=1, description="The canonical answer.")
    accept: tuple[str, ...] = Field((), description="Other phrasings that count as correct.")


Answer = NumericAnswer | TextAnswer


class WrongAnswer(_Model):
    """A typical wrong answer and the misconception behind it."""

    value: float | None = Field(None, description="The wrong number (for numeric answers).")
    unit: str | None = Field(
        None, description="Unit of `value` when it differs from the right answer's unit (default: the same)."
    )
    text: str | None = Field(None, description="The wrong text (for text answers).")
    misconception: Slug = Field(description="Slug of the misconception, e.g. `wrong-operation`.")
    description: str = Field(min_length=1, description="What the student did to get this answer.")
    feedback: str = Field(min_length=1, description="A question or remark that makes the student rethink.")

    @model_validator(mode="after")
    def _exactly_one_of_value_text(self) -> WrongAnswer:
        if (self.value is None) == (self.text is None):
            raise ValueError("a wrong answer has exactly one of `value` or `text`")
        if self.text is not None and self.unit is not None:
            raise ValueError("`unit` only goes with `value`")
        return self


# ------------------------------------------------------------------------------------------ math/physics


class Step(_Model):
    """One subproblem the tutor asks about, with its hint ladder and typical wrong answers."""

    id: str = Field(pattern=STEP_ID_PATTERN, description="Unique inside the problem, e.g. `s1`.")
    question: str = Field(min_length=1, description="The question the tutor works towards in this step.")
    answer: NumericAnswer | TextAnswer = Field(description="Numeric answer (`value`) or text answer (`text`).")
    concepts: tuple[Slug, ...] = Field((), description="Concepts this step exercises.")
    hints: tuple[str, ...] = Field((), description="Hint ladder, gentle to specific (at least one).")
    wrong_answers: tuple[WrongAnswer, ...] = Field((), description="Typical wrong answers (at least one).")
    program: str | None = Field(
        None,
        description="Python that computes this step's answer; the last line it prints is the answer. "
        "Required for numeric steps of original problems.",
    )

    @model_validator(mode="after")
    def _wrong_answers_match_kind(self) -> Step:
        numeric = isinstance(self.answer, NumericAnswer)
        for i, wrong in enumerate(self.wrong_answers):
            if numeric and wrong.value is None:
                raise ValueError(f"wrong_answers[{i}] needs `value`: the step's answer is numeric")
            if not numeric and wrong.text is None:
                raise ValueError(f"wrong_answers[{i}] needs `text`: the step's answer is text")
        return self


class ProblemBase(_Model):
    """Fields every problem has, whatever its domain."""

    id: str = Field(pattern=ID_PATTERN, description="Stable id, lowercase [a-z0-9-]; equals the file name.")
    title: str = Field(min_length=1, description="Short human title.")
    statement: str = Field(min_length=1, description="The problem as the student sees it (Markdown).")
    concepts: tuple[Slug, ...] = Field((), description="Concepts the problem exercises (lowercase slugs).")
    difficulty: int | None = Field(None, ge=1, le=5, description="1 (easiest) .. 5. Required for original problems.")
    grade: int | None = Field(None, ge=1, le=12, description="School grade 1..12, when it applies.")
    source: str = Field(
        ORIGINAL, pattern=SLUG_PATTERN, description="`original` or the public dataset it was imported from."
    )
    source_ref: str | None = Field(None, description="Where an imported problem came from, e.g. `test.jsonl:12`.")
    license: str = Field(min_length=1, description="License of this problem; the bank is CC-BY-4.0.")
    missing: tuple[Missing, ...] = Field(
        (),
        description="Parts an imported problem lacks because its source does not carry them. "
        "Must be empty for original problems.",
    )
    import_notes: tuple[str, ...] = Field((), description="What an importer could not map faithfully, in words.")

    @property
    def is_original(self) -> bool:
        return self.source == ORIGINAL

    def _check_missing(self, lacking: set[str]) -> None:
        """Original problems lack nothing; imported ones lack only what `missing` declares."""
        if self.is_original and self.missing:
            raise ValueError(f"`missing` must be empty for original problems (has {list(self.missing)})")
        undeclared = sorted(lacking - set(self.missing))
        if undeclared:
            what = ", ".join(undeclared)
            if self.is_original:
                raise ValueError(f"original problems need {what}")
            raise ValueError(f"lacks {what}: list it under `missing` or add it")

    def _common_lacking(self) -> set[str]:
        lacking: set[str] = set()
        if not self.concepts:
            lacking.add("concepts")
        if self.difficulty is None:
            lacking.add("difficulty")
        return lacking


class SteppedProblem(ProblemBase):
    """A problem solved in steps with a numeric or text final answer (math and physics)."""

    steps: tuple[Step, ...] = Field(
        min_length=1,
        max_length=MAX_IMPORTED_STEPS,
        description=f"Subproblems in order: {ORIGINAL_STEPS[0]}-{ORIGINAL_STEPS[1]} for original problems "
        f"(imported ones: 1-{MAX_IMPORTED_STEPS}).",
    )
    final_answer: NumericAnswer | TextAnswer = Field(description="Equals the last step's answer.")

    @model_validator(mode="after")
    def _structure(self) -> SteppedProblem:
        lo, hi = ORIGINAL_STEPS
        if self.is_original and not lo <= len(self.steps) <= hi:
            raise ValueError(f"original problems have {lo}-{hi} steps (has {len(self.steps)})")
        if dupes := _duplicates(step.id for step in self.steps):
            raise ValueError(f"duplicate step ids: {dupes}")
        lacking = self._common_lacking()
        for step in self.steps:
            if not step.hints:
                lacking.add("hints")
            if not step.wrong_answers:
                lacking.add("wrong_answers")
            if step.program is None and isinstance(step.answer, NumericAnswer):
                lacking.add("programs")
        self._check_missing(lacking)
        _check_final_equals_last(self.final_answer, self.steps[-1].answer)
        return self


def _check_final_equals_last(final: Answer, last: Answer) -> None:
    if isinstance(final, NumericAnswer) and isinstance(last, NumericAnswer):
        same_value = abs(final.value - last.value) <= max(final.tolerance, 1e-9)
        if not same_value or final.unit != last.unit:
            raise ValueError(
                f"final_answer ({final.value:g} {final.unit or ''}) differs from the last step's answer "
                f"({last.value:g} {last.unit or ''})"
            )
    elif isinstance(final, TextAnswer) and isinstance(last, TextAnswer):
        if final.text.strip().casefold() != last.text.strip().casefold():
            raise ValueError("final_answer text differs from the last step's answer text")
    else:
        raise ValueError("final_answer and the last step's answer must both be numeric or both text")


class MathProblem(SteppedProblem):
    """A math word problem."""

    domain: Literal["math"] = Field(description="Always `math`.")


class PhysicsProblem(SteppedProblem):
    """A physics calculation; answers usually carry units (`convert_units` allows 72 km/h == 20 m/s)."""

    domain: Literal["physics"] = Field(description="Always `physics`.")


# --------------------------------------------------------------------------------------------- debugging


class TestCase(_Model):
    """A test snippet run after the program, in a fresh copy of its namespace."""

    __test__ = False  # not a pytest class, despite the name

    name: str = Field(pattern=TEST_NAME_PATTERN, description="Unique inside the problem, [a-z0-9_].")
    code: str = Field(min_length=1, description="Python statements, usually asserts.")


class Patch(_Model):
    """A textual fix: replace the one occurrence of `find` in `buggy_code` with `replace`."""

    find: str = Field(min_length=1, description="Occurs exactly once in `buggy_code`.")
    replace: str = Field(description="What replaces it.")


class Bug(_Model):
    """One bug in `buggy_code`, with its fix and the tests it breaks."""

    id: str = Field(pattern=STEP_ID_PATTERN, description="Unique inside the problem, e.g. `b1`.")
    lines: tuple[Annotated[int, Field(ge=1)], ...] = Field(
        min_length=1, description="1-based line numbers in buggy_code."
    )
    kind: Literal["conceptual", "syntactic"] = Field(description="Conceptual bugs are taught before syntactic.")
    description: str = Field(min_length=1, description="What is wrong, for the tutor.")
    fix: str = Field(min_length=1, description="The fix in words.")
    patch: Patch | None = Field(
        None,
        description="The fix as a text replacement. None only in an imported problem whose source gives "
        "the fix in words that cannot be applied (it lists `patch` under `missing`).",
    )
    breaks_tests: tuple[str, ...] = Field(
        min_length=1, description="Tests that fail when ONLY this bug is left (all other bugs fixed)."
    )
    depends_on: tuple[str, ...] = Field((), description="Bugs to understand/fix before this one.")
    concepts: tuple[Slug, ...] = Field((), description="Concepts behind this bug.")
    # Not authored in problem files: the bank attaches validated ladders from `datasets/hints/*.json`.
    hint_ladder: SkipJsonSchema[tuple[LadderHint, ...]] = Field(
        (), exclude=True, description="Validated hints, pointer -> conceptual -> next step (tutor.problems.ladders)."
    )


class DebuggingProblem(ProblemBase):
    """A buggy Python program, its fix, tests, and the bugs between them."""

    domain: Literal["debugging"] = Field(description="Always `debugging`.")
    buggy_code: str = Field(min_length=1, description="The program the student starts from.")
    fixed_code: str | None = Field(
        None, min_length=1, description="A correct program; None exactly when a bug has no patch."
    )
    tests: tuple[TestCase, ...] = Field(min_length=1, description="Tests the fixed program passes.")
    bugs: tuple[Bug, ...] = Field(min_length=1, max_length=5, description="The bugs, 1-5.")

    @model_validator(mode="after")
    def _structure(self) -> DebuggingProblem:
        unpatched = [b.id for b in self.bugs if b.patch is None]
        self._check_missing(self._common_lacking() | ({"patch"} if unpatched else set()))
        if bool(unpatched) != (self.fixed_code is None):
            raise ValueError("fixed_code must be given exactly when every bug has a patch")
        if self.buggy_code == self.fixed_code:
            raise ValueError("buggy_code and fixed_code are identical")
        if dupes := _duplicates(t.name for t in self.tests):
            raise ValueError(f"duplicate test names: {dupes}")
        if dupes := _duplicates(b.id for b in self.bugs):
            raise ValueError(f"duplicate bug ids: {dupes}")
        test_names = {t.name for t in self.tests}
        bug_ids = {b.id for b in self.bugs}
        n_lines = len(self.buggy_code.splitlines())
        spans: list[tuple[int, int, str]] = []
        for bug in self.bugs:
            where = f"bug {bug.id}"
            if bug.patch is None:  # a fix kept in words (see `patch`): nothing to place in the code
                continue
            count = self.buggy_code.count(bug.patch.find)
            if count != 1:
                raise ValueError(f"{where}: patch.find {bug.patch.find!r} occurs {count} times in buggy_code")
            start = self.buggy_code.index(bug.patch.find)
            spans.append((start, start + len(bug.patch.find), bug.id))
            if bad := [n for n in bug.lines if n > n_lines]:
                raise ValueError(f"{where}: lines {bad} beyond buggy_code's {n_lines} lines")
            if unknown := sorted(set(bug.breaks_tests) - test_names):
                raise ValueError(f"{where}: breaks_tests names unknown tests {unknown}")
            if unknown := sorted(set(bug.depends_on) - bug_ids):
                raise ValueError(f"{where}: depends_on names unknown bugs {unknown}")
            if bug.id in bug.depends_on:
                raise ValueError(f"{where}: depends on itself")
        spans.sort()
        for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ValueError(f"patches of bugs {first} and {second} overlap in buggy_code")
        if cycle := _find_cycle({b.id: b.depends_on for b in self.bugs}):
            raise ValueError(f"depends_on has a cycle: {' -> '.join(cycle)}")
        return self

    def bug(self, bug_id: str) -> Bug:
        """The bug with this id (KeyError if none)."""
        for bug in self.bugs:
            if bug.id == bug_id:
                return bug
        raise KeyError(bug_id)

    def patched_code(self, bug_ids: Iterable[str] | None = None) -> str:
        """`buggy_code` with the patches of `bug_ids` applied (all bugs when None).

        Patches are spliced at their positions in the original buggy code, so one replacement can never
        create or destroy another patch's `find` text.
        """
        wanted = {b.id for b in self.bugs} if bug_ids is None else set(bug_ids)
        chosen = [b for b in self.bugs if b.id in wanted]
        if unknown := wanted - {b.id for b in chosen}:
            raise KeyError(f"unknown bug ids {sorted(unknown)}")
        if unpatched := [b.id for b in chosen if b.patch is None]:
            raise ValueError(f"bugs {unpatched} have no patch (their fix is given in words only)")
        code = self.buggy_code
        # Right to left, so earlier offsets stay valid.
        patches = [b.patch for b in chosen if b.patch is not None]
        for patch in sorted(patches, key=lambda p: self.buggy_code.index(p.find), reverse=True):
            start = self.buggy_code.index(patch.find)
            code = code[:start] + patch.replace + code[start + len(patch.find) :]
        return code

    def bug_order(self) -> list[Bug]:
        """Bugs in an order that respects `depends_on`, conceptual before syntactic among equals."""
        placed: list[Bug] = []
        remaining = list(self.bugs)
        while remaining:
            done = {b.id for b in placed}
            ready = [b for b in remaining if set(b.depends_on) <= done]
            ready.sort(key=lambda b: (b.kind != "conceptual", self.bugs.index(b)))
            placed.append(ready[0])
            remaining.remove(ready[0])
        return placed


def _find_cycle(graph: dict[str, Sequence[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state and (found := visit(node)):
            return found
    return None


# ----------------------------------------------------------------------------------------------- union

AnyProblem = MathProblem | PhysicsProblem | DebuggingProblem
"""Any problem, as a type to annotate with (import this one rather than spelling the union out)."""

Problem = Annotated[AnyProblem, Field(discriminator="domain")]
"""Any problem, for validation: `domain` picks the model."""

Domain = Literal["math", "physics", "debugging"]
DOMAINS: tuple[Domain, ...] = ("math", "physics", "debugging")

PROBLEM_ADAPTER: TypeAdapter[AnyProblem] = TypeAdapter(Problem)


def parse_problem(data: Any) -> AnyProblem:
    """Validate a mapping (parsed YAML/JSON) into a problem; raises pydantic's ValidationError."""
    return PROBLEM_ADAPTER.validate_python(data)


def problem_json_schema() -> dict[str, Any]:
    """The JSON Schema of a problem file, as committed in `datasets/problem.schema.json`."""
    schema = PROBLEM_ADAPTER.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Problem",
        "description": "One problem file of the socratic-tutor bank (see datasets/FORMAT.md).",
        **schema,
    }


def render_json_schema() -> str:
    """The schema file's exact text (stable key order, trailing newline)."""
    return json.dumps(problem_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_json_schema(path: Path) -> Path:
    """Write the JSON Schema to `path` (atomically) and return it."""
    return atomic_write_text(path, render_json_schema())


_SLUG_RE = re.compile(SLUG_PATTERN)


def is_slug(text: str) -> bool:
    """True when `text` is a valid concept/misconception slug."""
    return bool(_SLUG_RE.match(text))
