"""A generation run folder: `manifest.json`, `dialogues.jsonl`, `rejected.jsonl`, `errors.jsonl`.

Appends are line-atomic: one complete line per `os.write` on an `O_APPEND` descriptor, then `fsync`,
under a lock (a thread lock and an `fcntl` lock on the file). A process killed in the middle of a write
can still leave a torn last line; `recover()` cuts it off before the run continues, so every line in the
files is a whole record and every job id appears at most once. The manifest is replaced atomically
(write a temporary file, fsync, rename). One generator at a time may hold a folder (`.lock`).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from student_sim.dialogue import REJECT_REASONS, Dialogue
from tutor.errors import ConfigError, InputDataError, StorageError

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
        self._lock_fd: int | None = None

    # -- exclusive use --------------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the folder for this process; ConfigError when another generator holds it."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"cannot use run folder {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(
                f"another generator is writing to {self.path}", "wait for it to finish, or use another --out"
            ) from None
        self._lock_fd = fd

    def release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

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
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "wb") as handle:
                handle.write(b"".join(line + b"\n" for line in good))
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(path)
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
        for kind in ("dialogues", "rejected"):
            for n, record in enumerate(self.read(kind), 1):  # type: ignore[arg-type]
                try:
                    out.append(Dialogue.model_validate(record))
                except ValidationError as exc:
                    first = exc.errors(include_url=False)[0]
                    where = ".".join(str(p) for p in first["loc"])
                    raise InputDataError(
                        f"{self.file(kind)}: record {n}: field `{where}`: {first['msg']}",  # type: ignore[arg-type]
                        "the dialogue schema changed since this run was made; rerun it into a new folder",
                    ) from None
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
                fcntl.flock(fd, fcntl.LOCK_EX)
                written = os.write(fd, payload)
                while written < len(payload):  # a short write on a regular file is rare, but finish it
                    written += os.write(fd, payload[written:])
                os.fsync(fd)
            finally:
                os.close(fd)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        path = self.path / MANIFEST
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=False, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)

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
