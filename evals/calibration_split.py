"""The calibration/test split of a human-labelled file, by conversation, and seeded subsamples of it.

A judge is trained or tuned on the calibration half and measured on the test half; every tutor response
to one conversation lies in the same half, so a judge never sees, in training, another tutor's reply to a
conversation it is tested on.

The split is a pure function of the set of conversation ids and the seed: each id is ranked by
`sha256(f"{seed}:{id}")` and the first half of the ranking (rounded up) is the calibration half. It does
not depend on the order of the file, on numpy's random generator or on the library versions, and the
committed split of the BEA 2025 dev set (`datasets/evals/calibration/bea2025_dev_split.json`) can be
checked against it at any time.

    split = split_conversations({r.conversation_id for r in records}, seed=SEED)
    calibration, test = split.partition(records)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from evals.config import evals_dir
from tutor.errors import InputDataError

SEED = 2025
BEA_DEV_SPLIT = "bea2025_dev_split.json"  # under datasets/evals/calibration/
METHOD = "sha256('<seed>:<conversation_id>') ranking; the first ceil(n/2) ids are the calibration half"


class _HasConversation(Protocol):
    @property
    def conversation_id(self) -> str: ...


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_HasConversation)
I = TypeVar("I", bound=_HasId)  # noqa: E741


def _rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


@dataclass(frozen=True)
class ConversationSplit:
    """Conversation ids of the calibration and test halves (each sorted)."""

    seed: int
    calibration: tuple[str, ...]
    test: tuple[str, ...]

    def half_of(self, conversation_id: str) -> str | None:
        """`calibration`, `test`, or None for an id this split does not know."""
        if conversation_id in self._calibration_set:
            return "calibration"
        return "test" if conversation_id in self._test_set else None

    @cached_property
    def _calibration_set(self) -> frozenset[str]:
        return frozenset(self.calibration)

    @cached_property
    def _test_set(self) -> frozenset[str]:
        return frozenset(self.test)

    def partition(self, records: Sequence[R]) -> tuple[list[R], list[R]]:
        """The records of each half, in their order (raises `InputDataError` for an unknown conversation)."""
        calibration, test = self._calibration_set, self._test_set
        unknown = sorted({r.conversation_id for r in records} - calibration - test)
        if unknown:
            raise InputDataError(
                f"{len(unknown)} conversation(s) are in neither half of the split (first: {unknown[0]!r})",
                "split the file's own conversation ids (split_conversations) or give the matching split file",
            )
        return [r for r in records if r.conversation_id in calibration], [
            r for r in records if r.conversation_id in test
        ]


def split_conversations(conversation_ids: Iterable[str], seed: int = SEED) -> ConversationSplit:
    """Split conversation ids into calibration and test halves (see the module docstring)."""
    ranked = sorted(set(conversation_ids), key=lambda c: (_rank(c, seed), c))
    cut = (len(ranked) + 1) // 2
    return ConversationSplit(seed, tuple(sorted(ranked[:cut])), tuple(sorted(ranked[cut:])))


def subsample(items: Sequence[I], n: int | None, seed: int = SEED) -> list[I]:
    """A seeded sample of `n` items by id (all when n is None), in the order of the ranking it is drawn from.

    Like the split, it ranks ids by hash, so the sample of 60 is the first 60 of the sample of 80, and a
    judge interrupted after k items of a sample has judged exactly the sample of k.
    """
    ranked = sorted(items, key=lambda i: (_rank(i.id, seed), i.id))
    return ranked if n is None else ranked[:n]


class SplitFile(BaseModel):
    """A committed split: what it splits, how, and the conversation ids of each half."""

    model_config = ConfigDict(extra="forbid")
    data: str = Field(description="The file split, as a path under the real data folder.")
    seed: int
    method: str
    calibration: list[str]
    test: list[str]

    def split(self) -> ConversationSplit:
        return ConversationSplit(self.seed, tuple(self.calibration), tuple(self.test))


def split_path() -> Path:
    return evals_dir() / "calibration" / BEA_DEV_SPLIT


def load_split(path: str | Path | None = None) -> SplitFile:
    """A committed split file (default: the BEA 2025 dev split)."""
    path = Path(path) if path is not None else split_path()
    try:
        return SplitFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise InputDataError(f"{path}: no such split file") from None


def split_for(conversation_ids: Iterable[str], seed: int = SEED) -> tuple[ConversationSplit, str]:
    """The split of a file's conversations and where it comes from: the committed BEA 2025 dev split
    when the file holds exactly its conversations, else the split computed from the ids and the seed."""
    ids = set(conversation_ids)
    committed = split_path()
    if committed.is_file():
        stored = load_split(committed)
        if stored.seed == seed and ids == set(stored.calibration) | set(stored.test):
            return stored.split(), f"committed split {committed.name} (seed {seed})"
    return split_conversations(ids, seed), f"computed from the conversation ids (seed {seed})"


__all__ = [
    "BEA_DEV_SPLIT",
    "METHOD",
    "SEED",
    "ConversationSplit",
    "SplitFile",
    "load_split",
    "split_conversations",
    "split_for",
    "split_path",
    "subsample",
]
