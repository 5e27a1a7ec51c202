"""Run jobs on a Ray cluster (or a local Ray instance): `--executor ray [--ray-address ADDRESS]`.

The same contract as the local executors (`student_sim.executors`): jobs go out, `(job, outcome)` pairs come
back to the caller as jobs finish, and the caller stays the single writer of the run folder, so a Ray run
folder has exactly the format of a local one and resumes the same way (rerun the command: done jobs are
skipped, none is done twice).

Jobs run on a pool of actors, one per concurrent job. Each actor receives `work` once and keeps it, so a
worker's model clients and sandbox stay warm across its jobs. An actor whose process dies is restarted and
its job retried (`max_retries` times); a job that still fails comes back as its exception and is recorded
like a failed local job. Ray is an optional extra: `pip install -e '.[ray]'`.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from tutor.errors import ConfigError

J = TypeVar("J")
R = TypeVar("R")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray, which is not installed", "pip install -e '.[ray]'") from None
    return ray


class JobRunner(Generic[J, R]):
    """The actor body: holds `work` for the actor's lifetime and runs one job at a time."""

    def __init__(self, work: Callable[[J], R]) -> None:
        self.work = work

    def run(self, job: J) -> tuple[bool, R | BaseException]:
        """(True, result), or (False, the exception) with the worker's traceback attached as a note."""
        try:
            return True, self.work(job)
        except Exception as exc:  # a failed job is reported, the run goes on
            exc.add_note("raised in a Ray worker:\n" + "".join(traceback.format_exception(exc)))
            return False, exc

    def node(self) -> str:
        """Which machine this actor runs on (for the manifest)."""
        return os.uname().nodename


class RayExecutor:
    """Up to `concurrency` jobs at once on Ray actors.

    Args:
        concurrency: how many actors (jobs in flight).
        address: a running cluster (`ray://host:10001`, `host:6379` or `auto`); None: `RAY_ADDRESS` if set,
            else a local Ray instance started for this run and stopped after it.
        max_retries: how often a job is retried, and its actor restarted, after the actor's process died.
        cpus_per_job: CPUs Ray reserves per actor (0 for jobs that only wait on model servers).
    """

    def __init__(
        self, concurrency: int, address: str | None = None, max_retries: int = 3, cpus_per_job: float = 1.0
    ) -> None:
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.max_retries = max_retries
        self.cpus_per_job = cpus_per_job
        self.nodes: dict[str, int] = {}  # machine -> jobs it finished, filled by `run`
        self._node_of: dict[Any, str] = {}

    def _connect(self, ray: Any) -> bool:
        """Join the cluster (or start a local instance); True when this run started Ray and must stop it."""
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        try:
            if self.address:
                ray.init(address=self.address, **options)
            else:
                # Enough logical CPUs for every actor: with model servers doing the work, actors mostly wait.
                cpus = max(os.cpu_count() or 1, int(self.concurrency * self.cpus_per_job + 0.999))
                ray.init(num_cpus=cpus, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:  # a wrong address, a cluster that is down
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            raise ConfigError(f"cannot start or reach {where}: {exc}", "check --ray-address / RAY_ADDRESS") from None
        return True

    def run(self, jobs: Sequence[J], work: Callable[[J], R]) -> Iterator[tuple[J, R | BaseException]]:
        ray = _ray()
        started = self._connect(ray)
        actor_class = ray.remote(
            num_cpus=self.cpus_per_job, max_restarts=self.max_retries, max_task_retries=self.max_retries
        )(JobRunner)
        # A worker that knows how to split itself (a server pool per actor) gets a copy per actor.
        split = getattr(work, "for_worker", None)
        n_actors = min(self.concurrency, max(1, len(jobs)))
        shared = ray.put(work) if split is None else None
        actors = [actor_class.remote(shared if split is None else split(k)) for k in range(n_actors)]
        try:
            yield from self._dispatch(ray, actors, iter(jobs))
        finally:
            # Interrupted or done: stop the actors; jobs in flight are not written (a resumed run redoes them).
            for actor in actors:
                ray.kill(actor, no_restart=True)
            if started:
                ray.shutdown()

    def _dispatch(self, ray: Any, actors: list[Any], pending: Iterator[J]) -> Iterator[tuple[J, R | BaseException]]:
        idle, running = list(actors), dict[Any, tuple[J, Any]]()
        while True:
            while idle:
                try:
                    job = next(pending)
                except StopIteration:
                    break
                actor = idle.pop()
                running[actor.run.remote(job)] = (job, actor)
            if not running:
                return
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                job, actor = running.pop(ref)
                idle.append(actor)
                yield job, self._outcome(ray, ref, actor)

    def _outcome(self, ray: Any, ref: Any, actor: Any) -> Any:
        try:
            ok, value = ray.get(ref)
        except ray.exceptions.RayError as exc:  # the actor died more often than it may restart, or similar
            return exc
        if ok:
            node = self._node_of.get(actor)
            if node is None:  # asked once per actor: an actor stays on its machine (a restart may move it)
                try:
                    node = self._node_of[actor] = ray.get(actor.node.remote(), timeout=10)
                except ray.exceptions.RayError:
                    node = "unknown"
            self.nodes[node] = self.nodes.get(node, 0) + 1
        return value
