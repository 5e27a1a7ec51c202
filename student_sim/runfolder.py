"""A generation run folder: `manifest.json`, `dialogues.jsonl`, `rejected.jsonl`, `errors.jsonl`.

Appends are line-atomic: one complete line per `os.write` on an `O_APPEND` descriptor, then `fsync`,
under a thread lock; other processes are kept out by the folder's lock (`.lock`, a `filelock` lock: one
generator at a time may hold a folder). A process killed in the middle of a write can still leave a torn
last line; `recover()` cuts it off before the run continues, so every line in the files is a whole record
and every job id appears at most once. The manifest is replaced atomically (`tutor.files`).
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import filelock

from student_sim.dialogue import REJECT_REASONS, Dialogue
from tutor.errors import ConfigError, StorageError
from tutor.files import atomic_write_bytes, validate_as, write_json

FileKind = Literal["dialogues", "rejected", "errors"]
FILES: dict[FileKind, str] = {
    "dialogues": "dialogues.jsonl",
    "rejected": "rejected.jsonl",
    "errors": "errors.jsonl",
}
MANIFEST = "manifest.json"


@dataclass
class Recovery:
    """What `recover()` found in the folder."""

    done: set[str] = field(default_factory=set)  # job ids in dialogues.jsonl or rejected.jsonl
    dropped_lines: int = 0  # torn or unreadable lines cut off
    counts: dict[str, int] = field(default_factory=dict)  # lines per file


class RunFolder:
    """The files of one generation run (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._folder_lock: filelock.BaseFileLock | None = None

    # -- exclusive use --------------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the folder for this process; ConfigError when another generator holds it."""
        # Not reentrant: a second RunFolder on the same folder in this process is refused like another process.
        lock = filelock.FileLock(self.path / ".lock", is_singleton=False, thread_local=False)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=0)
        except filelock.Timeout:
            raise ConfigError(
                f"another generator is writing to {self.path}", "wait for it to finish, or use another --out"
            ) from None
        except OSError as exc:
            raise StorageError(f"cannot use run folder {self.path}: {exc.strerror or exc}") from None
        self._folder_lock = lock

    def release(self) -> None:
        if self._folder_lock is not None:
            self._folder_lock.release()
            self._folder_lock = None

    def __enter__(self) -> RunFolder:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- reading --------------------------------------------------------------------------------
    def file(self, kind: FileKind) -> Path:
        return self.path / FILES[kind]

    def recover(self) -> Recovery:
        """Cut torn lines off the files and collect the ids of finished jobs."""
        report = Recovery()
        for kind in FILES:
            path = self.file(kind)
            if not path.exists():
                report.counts[kind] = 0
                continue
            records, dropped = self._clean(path)
            report.dropped_lines += dropped
            report.counts[kind] = len(records)
            if kind != "errors":
                report.done.update(str(r.get("id")) for r in records)
        return report

    def _clean(self, path: Path) -> tuple[list[dict[str, Any]], int]:
        data = path.read_bytes()
        lines = data.split(b"\n")
        tail = lines.pop()  # after the last newline: b"" when the file ends cleanly, else a torn write
        records: list[dict[str, Any]] = []
        good: list[bytes] = []
        dropped = 1 if tail.strip() else 0
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                dropped += 1
                continue
            if not isinstance(record, dict):
                dropped += 1
                continue
            records.append(record)
            good.append(line)
        if dropped:
            atomic_write_bytes(path, b"".join(line + b"\n" for line in good))
        return records, dropped

    def read(self, kind: FileKind) -> list[dict[str, Any]]:
        """The records of one file (complete lines only)."""
        path = self.file(kind)
        if not path.exists():
            return []
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")[:-1]  # the part after the last newline is not a finished record
        return [json.loads(line) for line in lines if line.strip()]

    def dialogues(self) -> list[Dialogue]:
        """Every finished dialogue, accepted and rejected, validated against the dialogue schema."""
        out = []
        kinds: tuple[FileKind, ...] = ("dialogues", "rejected")
        for kind in kinds:
            for n, record in enumerate(self.read(kind), 1):
                where = f"{self.file(kind)}: record {n}"
                hint = "the dialogue schema changed since this run was made; rerun it into a new folder"
                out.append(validate_as(Dialogue, record, where, whole="(the dialogue)", hint=hint))
        return out

    # -- writing --------------------------------------------------------------------------------
    def append(self, kind: FileKind, line: str) -> None:
        """Append one record line atomically and durably (see the module docstring)."""
        if "\n" in line:
            raise ValueError("a record line must not contain a newline")
        payload = (line + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.file(kind), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = os.write(fd, payload)
                while written < len(payload):  # a short write on a regular file is rare, but finish it
                    written += os.write(fd, payload[written:])
                os.fsync(fd)
            finally:
                os.close(fd)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.path / MANIFEST, manifest)

    def read_manifest(self) -> dict[str, Any] | None:
        path = self.path / MANIFEST
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StorageError(
                f"{path} is not valid JSON: {exc}", "move the folder aside and start a new run"
            ) from None
        return data if isinstance(data, dict) else None

    # -- summaries ------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Counts from the files themselves: accepted, rejected, errors, outcomes, rejection reasons."""
        accepted = self.read("dialogues")
        rejected = self.read("rejected")
        errors = self.read("errors")
        outcomes = Counter(r["outcome"]["status"] for r in accepted + rejected)
        reasons = Counter(name for r in rejected for name in REJECT_REASONS if r["quality"].get(name))
        failed_jobs = {e.get("id") for e in errors} - {r["id"] for r in accepted + rejected}
        return {
            "accepted": len(accepted),
            "rejected": len(rejected),
            "errors": len(failed_jobs),
            "outcomes": dict(sorted(outcomes.items())),
            "rejection_reasons": dict(sorted(reasons.items())),
        }
