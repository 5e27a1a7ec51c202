"""The files of an eval run folder.

    RUN_DIR/
      manifest.json          the eval config, models, machine, status, run id, history of invocations
      variants/<name>/       one generation run folder per tutor variant (dialogues.jsonl, rejected.jsonl,
                             errors.jsonl, manifest.json), written by `student_sim.generate`
      judge.jsonl            judge labels per (dialogue, tutor message): a cache, appended, never rewritten
      scores.jsonl           one DialogueScore per dialogue (rewritten whole by every rescore)
      summary.json           the aggregates (`evals.aggregate.summarise`)
      report.md, report.html, plots/*.png, examples/<variant>/<dialogue>.md

Everything but the dialogues and the judge cache can be rebuilt from them without a model
(`socratic eval rescore RUN_DIR`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from evals.config import EvalConfig, parse_config
from evals.labels import JudgeLabels
from evals.metrics import JudgedTurn
from evals.scores import DialogueScore
from student_sim.dialogue import Dialogue
from student_sim.runfolder import RunFolder
from tutor.errors import NotFoundError
from tutor.files import atomic_write_text

MANIFEST = "manifest.json"
SCORES = "scores.jsonl"
SUMMARY = "summary.json"
JUDGE = "judge.jsonl"
_append_lock = threading.Lock()


def variant_dir(run_dir: Path, variant: str) -> Path:
    return run_dir / "variants" / variant


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """The eval manifest; NotFoundError when the folder holds no eval run."""
    run_dir = Path(run_dir)
    manifest = RunFolder(run_dir).read_manifest()
    if manifest is None or manifest.get("kind") != "eval":
        raise NotFoundError(f"{run_dir} holds no eval run (no eval manifest.json)", "run `socratic eval run` first")
    return manifest


def run_config(run_dir: str | Path) -> EvalConfig:
    return parse_config(read_manifest(run_dir)["config"], f"{Path(run_dir) / MANIFEST}")


def read_dialogues(run_dir: Path, variant: str) -> list[Dialogue]:
    """Every finished dialogue of a variant, accepted and rejected (the rejected ones are scored too)."""
    return RunFolder(variant_dir(run_dir, variant)).dialogues()


def write_scores(run_dir: Path, scores: Iterable[DialogueScore]) -> Path:
    path = run_dir / SCORES
    atomic_write_text(path, "".join(s.model_dump_json() + "\n" for s in scores))
    return path


def read_scores(run_dir: str | Path) -> list[DialogueScore]:
    """The scores of a run; NotFoundError when it has none yet."""
    path = Path(run_dir) / SCORES
    if not path.exists():
        raise NotFoundError(f"{run_dir} has no {SCORES}", f"run `socratic eval rescore {run_dir}`")
    return [
        DialogueScore.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


# ------------------------------------------------------------------------------------ judge cache


class JudgeRecord(BaseModel):
    """One line of judge.jsonl."""

    model_config = ConfigDict(extra="forbid")
    dialogue_id: str
    variant: str
    index: int
    judge: str
    labels: JudgeLabels | None = None
    error: str = ""


def append_judge(run_dir: Path, record: JudgeRecord) -> None:
    """Append one verdict durably (one whole line per write)."""
    line = (record.model_dump_json() + "\n").encode("utf-8")
    with _append_lock:
        fd = os.open(run_dir / JUDGE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def read_judge(run_dir: Path) -> list[JudgeRecord]:
    """Every complete verdict line (a torn last line from a crash is ignored)."""
    path = run_dir / JUDGE
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        if line.strip():
            try:
                records.append(JudgeRecord.model_validate_json(line))
            except ValidationError:
                continue  # a damaged line is re-judged on the next `eval judge`
    return records


def judged_turns(run_dir: Path) -> dict[tuple[str, str], dict[int, JudgedTurn]]:
    """The latest verdict per (variant, dialogue) and message index, for scoring."""
    out: dict[tuple[str, str], dict[int, JudgedTurn]] = {}
    for r in read_judge(run_dir):
        out.setdefault((r.variant, r.dialogue_id), {})[r.index] = JudgedTurn(r.labels, r.error)
    return out


__all__ = [
    "JUDGE",
    "MANIFEST",
    "SCORES",
    "SUMMARY",
    "JudgeRecord",
    "append_judge",
    "judged_turns",
    "read_dialogues",
    "read_judge",
    "read_manifest",
    "read_scores",
    "run_config",
    "variant_dir",
    "write_scores",
]
