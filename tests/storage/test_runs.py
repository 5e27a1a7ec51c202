"""Generation and eval runs: bookkeeping rows next to their run folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.errors import InputDataError, NotFoundError
from tutor.storage import Store


def test_a_run_goes_from_running_to_done_with_its_summary(store: Store, tmp_path: Path) -> None:
    run = store.create_run("generation", {"problems": ["p1"], "profiles": 3, "seed": 7}, run_dir=tmp_path / "r1")
    assert (run.kind, run.status, run.summary, run.finished_at) == ("generation", "running", {}, None)
    assert run.run_dir == str(tmp_path / "r1")

    done = store.update_run(run.id, status="done", summary={"dialogues": 12, "rejected": 1})
    assert done.status == "done" and done.finished_at is not None and done.finished_at >= run.created_at
    assert done.summary == {"dialogues": 12, "rejected": 1}
    assert done.config == run.config
    assert store.get_run(run.id) == done


def test_resuming_a_finished_run_clears_its_finish_time(store: Store) -> None:
    run = store.create_run("eval", {})
    assert store.update_run(run.id, status="failed").finished_at is not None
    resumed = store.update_run(run.id, status="running")
    assert resumed.finished_at is None and resumed.status == "running"


def test_runs_are_listed_newest_first_and_filtered_by_kind(store: Store) -> None:
    gen1 = store.create_run("generation", {"n": 1})
    ev = store.create_run("eval", {"n": 2})
    gen2 = store.create_run("generation", {"n": 3})
    assert [r.id for r in store.list_runs()] == [gen2.id, ev.id, gen1.id]
    assert [r.id for r in store.list_runs("generation")] == [gen2.id, gen1.id]
    assert [r.id for r in store.list_runs("eval")] == [ev.id]
    assert [r.id for r in store.list_runs(limit=1)] == [gen2.id]


def test_a_caller_chosen_run_id_is_kept_and_must_be_unique(store: Store) -> None:
    assert store.create_run("eval", {}, run_id="eval-2026-11-28_a").id == "eval-2026-11-28_a"
    with pytest.raises(InputDataError, match="taken"):
        store.create_run("generation", {}, run_id="eval-2026-11-28_a")


@pytest.mark.parametrize("run_id", ["", "../etc", "has space", "x" * 65, "-leading-dash"])
def test_malformed_run_ids_are_rejected(store: Store, run_id: str) -> None:
    with pytest.raises(InputDataError, match="run id"):
        store.create_run("eval", {}, run_id=run_id)


def test_unknown_kinds_statuses_and_runs_are_errors(store: Store) -> None:
    with pytest.raises(InputDataError, match="kind"):
        store.create_run("training", {})
    with pytest.raises(InputDataError, match="kind"):
        store.list_runs("training")
    run = store.create_run("eval", {})
    with pytest.raises(InputDataError, match="status"):
        store.update_run(run.id, status="exploded")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        store.update_run("nope", status="done")
    with pytest.raises(NotFoundError):
        store.get_run("nope")
