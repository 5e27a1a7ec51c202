"""Student profiles: who a simulated student is and what it knows, believes and gets wrong.

A profile is data (one YAML file per profile under `datasets/profiles/`, see `datasets/profiles/FORMAT.md`):
name, grade, persona text, verbosity, affect, per-concept mastery, misconceptions (which wrong answers the
student produces, tied to the problems' `wrong_answers` by misconception slug, to bugs by concept, or
bound to one problem's step), false beliefs the student holds and reasons from (DUPE), and how fast it
learns from useful hints. `from_mathdial` and `from_seed` turn MathDial records into profiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tutor.errors import InputDataError, NotFoundError
from tutor.files import load_model
from tutor.problems.bank import datasets_dir
from tutor.problems.importers.common import last_number, slug
from tutor.problems.labelled import StudentProfileSeed
from tutor.problems.schema import ID_PATTERN, SLUG_PATTERN, Domain

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Verbosity = Literal["terse", "normal", "verbose"]
Affect = Literal["neutral", "confident", "anxious", "frustrated", "curious", "bored"]
MATHDIAL_MISCONCEPTION = "mathdial-incorrect-solution"  # the slug the MathDial importer gives wrong answers
MATHDIAL_LICENSE = "CC-BY-SA-4.0"
PROFILE_DIR = "profiles"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BoundWrongAnswer(_Model):
    """A wrong answer tied to one problem (and step), for misconceptions that come with a problem."""

    problem_id: str = Field(pattern=ID_PATTERN, description="The problem this wrong answer belongs to.")
    step: str | None = Field(default=None, description="The step id; null = the last step (the final answer).")
    value: float | None = Field(default=None, description="The wrong number (numeric steps).")
    text: str | None = Field(default=None, description="The wrong text (text steps).")

    @model_validator(mode="after")
    def _one_of(self) -> BoundWrongAnswer:
        if (self.value is None) == (self.text is None):
            raise ValueError("a bound wrong answer has exactly one of `value` or `text`")
        return self


class Misconception(_Model):
    """A systematic error the student makes.

    Math/physics: when the student errs on a step that has a typical wrong answer with this `slug`, it
    gives that wrong answer. Debugging: when a bug exercises one of `concepts`, the student's explanation
    of the bug is `description` (and it cannot fix the bug until it has understood it).
    """

    slug: Slug = Field(description="Misconception slug, as in the problems' `wrong_answers`.")
    description: str = Field(min_length=1, description="What the student thinks, in the student's terms.")
    strength: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="P(it decides the answer on a step with its wrong answer), until hints loosen it.",
    )
    concepts: tuple[Slug, ...] = Field(default=(), description="Concepts it affects (bugs, and steps without a slug).")
    wrong_answers: tuple[BoundWrongAnswer, ...] = Field(
        default=(), description="Wrong answers tied to particular problems (e.g. from MathDial)."
    )


class FalseBelief(_Model):
    """A false fact the student holds and reasons from (DUPE), e.g. "1 km = 100 m"."""

    statement: str = Field(min_length=1, description="The false fact, as the student would state it.")
    misconception: Slug = Field(description="The misconception slug the belief produces.")
    concepts: tuple[Slug, ...] = Field(default=(), description="Concepts the belief touches.")
    strength: float = Field(default=0.9, ge=0, le=1, description="How firmly it is held: P(it decides an answer).")


class StudentProfile(_Model):
    """Who a simulated student is: persona, mastery, misconceptions, beliefs, learning rate."""

    id: str = Field(pattern=ID_PATTERN, description="Stable id; equals the file name.")
    name: str = Field(min_length=1)
    grade: int | None = Field(default=None, ge=1, le=12, description="School grade 1..12.")
    persona: str = Field(min_length=1, description="Who the student is, in a few sentences.")
    verbosity: Verbosity = "normal"
    affect: Affect = "neutral"
    default_mastery: float = Field(default=0.5, ge=0, le=1, description="Mastery of concepts not in `mastery`.")
    mastery: dict[Slug, float] = Field(default_factory=dict, description="Concept slug -> P(knows it).")
    misconceptions: tuple[Misconception, ...] = ()
    false_beliefs: tuple[FalseBelief, ...] = ()
    learning_rate: float = Field(default=0.15, ge=0, le=1, description="Mastery gained from one useful hint.")
    question_rate: float = Field(default=0.1, ge=0, le=1, description="P(asks a question instead of answering).")
    off_topic_rate: float = Field(default=0.0, ge=0, le=1, description="P(wanders off topic).")
    domains: tuple[Domain, ...] = Field(default=(), description="Domains the profile is written for (empty: any).")
    incorrect_solution: str | None = Field(default=None, description="An incorrect solution the student wrote.")
    source: str = Field(default="original", pattern=SLUG_PATTERN)
    source_ref: str | None = None
    license: str = "CC-BY-4.0"

    @field_validator("mastery")
    @classmethod
    def _probabilities(cls, mastery: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in mastery.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"mastery values must lie in 0..1: {bad}")
        return mastery

    @model_validator(mode="after")
    def _unique_slugs(self) -> StudentProfile:
        slugs = [m.slug for m in self.misconceptions]
        if len(slugs) != len(set(slugs)):
            raise ValueError(f"duplicate misconception slugs in {slugs}")
        return self

    def mastery_of(self, concept: str) -> float:
        """P(the student knows `concept`) before any tutoring."""
        return self.mastery.get(concept, self.default_mastery)

    def misconception(self, slug_: str) -> Misconception | None:
        return next((m for m in self.misconceptions if m.slug == slug_), None)


# ------------------------------------------------------------------------------------------- loading


def profiles_dir() -> Path:
    """`datasets/profiles/` of the clone or of the installed data package."""
    return datasets_dir() / PROFILE_DIR


def load_profile_file(path: str | Path) -> StudentProfile:
    """Read one profile YAML file; the id must equal the file name.

    Raises:
        InputDataError: unreadable file, bad YAML, or a field that does not fit (named).
    """
    path = Path(path)
    profile = load_model(StudentProfile, path, what="profile", error=InputDataError)
    if profile.id != path.stem:
        raise InputDataError(f"{path}: id {profile.id!r} differs from the file name {path.stem!r}")
    return profile


@lru_cache(maxsize=4)
def _load_dir(folder: Path) -> tuple[StudentProfile, ...]:
    files = sorted(p for p in folder.glob("*.yaml") if p.is_file())
    return tuple(load_profile_file(p) for p in files)


def load_profiles(folder: str | Path | None = None) -> list[StudentProfile]:
    """Every profile in `folder` (default: the bundled library), sorted by id."""
    root = Path(folder) if folder is not None else profiles_dir()
    if not root.is_dir():
        raise NotFoundError(f"profile folder not found: {root}")
    return list(_load_dir(root.resolve()))


def get_profile(profile_id: str, profiles: Iterable[StudentProfile] | None = None) -> StudentProfile:
    """The profile with this id (NotFoundError, naming close ids, when none)."""
    pool = list(profiles) if profiles is not None else load_profiles()
    for profile in pool:
        if profile.id == profile_id:
            return profile
    close = [p.id for p in pool if profile_id.split("-")[0] in p.id][:5]
    raise NotFoundError(
        f"no student profile {profile_id!r}",
        f"try one of {close}" if close else "see `socratic profiles list`",
    )


def dump_profile(profile: StudentProfile) -> str:
    """The profile as YAML (defaults left out), as the library files are written."""
    data = profile.model_dump(mode="json", exclude_defaults=True)
    data = {"id": profile.id, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


# ------------------------------------------------------------------------------------------ MathDial

_GRADE = re.compile(r"\b(\d{1,2})\s*(?:st|nd|rd|th)[\s-]*grade", re.I)
_GRADE_ALT = re.compile(r"\bgrade\s*(\d{1,2})\b", re.I)
_NAME = re.compile(r"^\s*([A-Z][a-zA-Z'-]+)\b")
# A few words in MathDial's persona texts that say which kind of error the student makes; the slug is
# added next to the incorrect-solution misconception so generic problems can surface it too.
_PERSONA_SLUGS = (
    (re.compile(r"\badd(?:s|ing)?\b.*\bmultipl", re.I), "wrong-operation"),
    (re.compile(r"\bwrong operation\b|\bsubtract(?:s|ing)? instead\b", re.I), "wrong-operation"),
    (
        re.compile(r"\bstops? after\b|\bskips? (?:a )?step\b|\bforgets? (?:a|the) (?:last )?step\b", re.I),
        "forgot-step",
    ),
    (re.compile(r"\bunits?\b|\bconver", re.I), "unit-conversion"),
    (re.compile(r"\bpercent", re.I), "percent-as-number"),
    (re.compile(r"\bwrong number\b|\bwrong quantit", re.I), "used-wrong-quantity"),
)


def _grade_of(text: str) -> int | None:
    for pattern in (_GRADE, _GRADE_ALT):
        if (m := pattern.search(text)) and 1 <= int(m.group(1)) <= 12:
            return int(m.group(1))
    return None


def from_mathdial(record: Mapping[str, Any], *, profile_id: str | None = None) -> StudentProfile:
    """A profile from one MathDial record (fields `student_profile`, `student_incorrect_solution`,
    `question`, `ground_truth`; `qid`, `teacher_described_confusion`, `self-typical-confusion` if present).

    The incorrect solution's last number becomes a wrong answer bound to the imported problem
    `mathdial-<qid>` (the id the MathDial importer gives it) under the importer's misconception slug, so
    the rule-based student reproduces the MathDial student's error on that problem.

    Raises:
        InputDataError: the record has no persona text or no question.
    """
    persona = str(record.get("student_profile") or "").strip()
    if not persona:
        raise InputDataError("MathDial record: field `student_profile` is empty")
    if not str(record.get("question") or "").strip():
        raise InputDataError("MathDial record: field `question` is empty")
    incorrect = str(record.get("student_incorrect_solution") or "").strip() or None
    qid = record.get("qid")
    has_qid = qid is not None and str(qid).strip() != ""
    wrong = last_number(incorrect) if incorrect else None
    truth = last_number(str(record.get("ground_truth") or ""))
    wrong_value = wrong.value if wrong is not None else None
    if wrong_value is not None and truth is not None and abs(wrong_value - truth.value) <= 1e-3:
        wrong_value = None  # an "incorrect" solution that ends on the right answer shows no wrong answer
    name = m.group(1) if (m := _NAME.match(persona)) else "Student"
    ident = profile_id or f"mathdial-{slug(qid) if has_qid else slug(name)}-{slug(persona)[:24]}"
    return _mathdial_profile(
        ident=ident,
        persona=persona,
        incorrect=incorrect,
        wrong_value=wrong_value,
        problem_id=f"mathdial-{slug(qid)}" if has_qid else None,
        confusion_text=str(record.get("teacher_described_confusion") or "").strip() or None,
        typical_confusion=_rating(record.get("self-typical-confusion")),
        source_ref=str(qid) if has_qid else None,
    )


def from_seed(seed: StudentProfileSeed) -> StudentProfile:
    """A profile from a `StudentProfileSeed` the MathDial importer wrote (`<out>.profiles.jsonl`)."""
    profile = _mathdial_profile(
        ident=seed.id,
        persona=seed.profile.strip() or "A student.",
        incorrect=seed.incorrect_solution,
        wrong_value=seed.wrong_answer,
        problem_id=seed.problem_id,
        confusion_text=seed.teacher_confusion,
        typical_confusion=seed.typical_confusion,
        source_ref=seed.source_ref,
        slug_=seed.misconception or MATHDIAL_MISCONCEPTION,
    )
    return profile.model_copy(update={"source": seed.source, "license": seed.license})


def _mathdial_profile(
    *,
    ident: str,
    persona: str,
    incorrect: str | None,
    wrong_value: float | None,
    problem_id: str | None,
    confusion_text: str | None,
    typical_confusion: int | None,
    source_ref: str | None,
    slug_: str = MATHDIAL_MISCONCEPTION,
) -> StudentProfile:
    misconceptions: list[Misconception] = []
    if wrong_value is not None:
        bound = (BoundWrongAnswer(problem_id=problem_id, value=wrong_value),) if problem_id else ()
        solution = " ".join(incorrect.split()) if incorrect else ""
        misconceptions.append(
            Misconception(
                slug=slug_,
                description=confusion_text or f"My solution was: {solution}",
                strength=0.9,
                wrong_answers=bound,
            )
        )
    for pattern, found in _PERSONA_SLUGS:
        if pattern.search(persona) and all(m.slug != found for m in misconceptions):
            misconceptions.append(Misconception(slug=found, description=persona, strength=0.6))
    # MathDial students are built to need help; more typical confusion -> lower prior mastery.
    default_mastery = 0.55 if typical_confusion is None else round(0.75 - 0.1 * typical_confusion, 2)
    name = m.group(1) if (m := _NAME.match(persona)) else "Student"
    return StudentProfile(
        id=slug(ident, 80),
        name=name,
        grade=_grade_of(persona),
        persona=persona,
        default_mastery=default_mastery,
        misconceptions=tuple(misconceptions),
        learning_rate=0.2,
        question_rate=0.05,
        domains=("math",),
        incorrect_solution=incorrect,
        source="mathdial",
        source_ref=source_ref,
        license=MATHDIAL_LICENSE,
    )


def _rating(value: Any) -> int | None:
    try:
        rating = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 5 else None
