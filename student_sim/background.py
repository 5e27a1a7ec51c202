"""Generation runs started from the web app: run in a background thread, recorded in the store.

The run folder stays the source of truth (it is what `socratic generate` resumes from); the store keeps a
row per run with its status and counts so that the app can list runs and show progress.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from student_sim.gen_spec import GenerationSpec, expand_jobs, load_spec
from student_sim.generate import generate
from student_sim.provenance import config_hash
from tutor.errors import TutorError
from tutor.settings import Settings
from tutor.storage.store import Store
from tutor.storage.views import RunView

log = logging.getLogger(__name__)


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.endswith(b"\n"))
    except OSError:
        return 0


def progress(run_dir: str | Path) -> dict[str, int]:
    """Counts read from a run folder: accepted and rejected dialogues so far."""
    folder = Path(run_dir)
    return {"accepted": _count_lines(folder / "dialogues.jsonl"), "rejected": _count_lines(folder / "rejected.jsonl")}


def start_generation(store: Store, spec_path: str | Path, out_dir: str | Path, settings: Settings) -> RunView:
    """Validate the spec, record the run, and generate in a daemon thread. Returns the new run's view."""
    spec: GenerationSpec = load_spec(spec_path)
    try:
        total = len(expand_jobs(spec, config_hash(spec.model_dump(mode="json"))))
    except (TypeError, ValueError, TutorError):
        total = 0
    run = store.create_run(
        "generation",
        {"spec_path": str(spec_path), "spec": spec.model_dump(mode="json"), "jobs": total},
        run_dir=str(out_dir),
    )

    def work() -> None:
        started = time.perf_counter()
        try:
            report = generate(spec, out_dir, settings=settings, progress=False)
            summary: dict[str, Any] = {
                **progress(out_dir),
                "jobs": report.jobs,
                "errors": report.errors,
                "duration_s": round(time.perf_counter() - started, 1),
            }
            store.update_run(run.id, status="done", summary=summary)
        except Exception as exc:  # a background run must record its failure, whatever it is
            log.exception("generation run %s failed", run.id)
            store.update_run(run.id, status="failed", summary={**progress(out_dir), "error": str(exc)[:500]})

    threading.Thread(target=work, name=f"generation-{run.id}", daemon=True).start()
    return run
