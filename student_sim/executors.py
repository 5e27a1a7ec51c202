"""Executors: how generation jobs run. Pluggable, so a cluster engine can replace the local ones.

An executor takes the jobs and a picklable `work(job) -> result` callable and yields `(job, outcome)`
pairs as jobs finish, in any order, where the outcome is the result or the exception the job raised.
It runs at most `concurrency` jobs at a time and submits lazily, so memory does not grow with the number of
jobs. Results are consumed (and written) by the caller's thread only: there is one writer.

`student_sim.ray_executor.RayExecutor` implements the same `run` on a Ray cluster (`make_executor("ray", n)`);
`DialogueWorker` is picklable and builds its models and sandbox on first use in whichever process runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures import (
    Executor as _PoolExecutor,
)
from typing import Generic, Protocol, TypeVar

from tutor.errors import ConfigError

J = TypeVar("J")
R = TypeVar("R")


class Executor(Protocol):
    """Runs jobs; see the module docstring."""

    concurrency: int

    def run(self, jobs: Sequence[J], work: Callable[[J], R]) -> Iterator[tuple[J, R | BaseException]]: ...


class SequentialExecutor:
    """One job after the other, in the caller's thread (the baseline, and the easiest to debug)."""

    concurrency = 1

    def run(self, jobs: Sequence[J], work: Callable[[J], R]) -> Iterator[tuple[J, R | BaseException]]:
        for job in jobs:
            try:
                yield job, work(job)
            except Exception as exc:  # a failed job is reported, the run goes on
                yield job, exc


class _PoolRunner(Generic[J, R]):
    """Bounded submission to a concurrent.futures pool, yielding results as they complete."""

    def __init__(self, pool: _PoolExecutor, concurrency: int) -> None:
        self.pool = pool
        self.concurrency = concurrency

    def run(self, jobs: Sequence[J], work: Callable[[J], R]) -> Iterator[tuple[J, R | BaseException]]:
        pending = iter(jobs)
        running: dict[Future[R], J] = {}
        try:
            while True:
                while len(running) < self.concurrency:
                    job = next(pending, None)
                    if job is None:
                        break
                    running[self.pool.submit(work, job)] = job
                if not running:
                    return
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    exc = future.exception()
                    yield job, (exc if exc is not None else future.result())
        finally:
            # Interrupted (or the consumer stopped): drop what has not started; running jobs finish
            # in their threads, and their results are not written (a resumed run redoes them).
            for future in running:
                future.cancel()
            self.pool.shutdown(wait=False, cancel_futures=True)


class ThreadExecutor:
    """Up to `concurrency` jobs at once in threads: right for remote model servers with parallel slots
    (the threads wait on HTTP), and for the local engine, which serialises calls behind its lock."""

    def __init__(self, concurrency: int) -> None:
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        self.concurrency = concurrency

    def run(self, jobs: Sequence[J], work: Callable[[J], R]) -> Iterator[tuple[J, R | BaseException]]:
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="dialogue")
        yield from _PoolRunner[J, R](pool, self.concurrency).run(jobs, work)


class ProcessExecutor:
    """Up to `concurrency` jobs at once in worker processes (each loads its own models and sandbox):
    for CPU-bound students and tutors; `work` and the jobs must pickle."""

    def __init__(self, concurrency: int) -> None:
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        self.concurrency = concurrency

    def run(self, jobs: Sequence[J], work: Callable[[J], R]) -> Iterator[tuple[J, R | BaseException]]:
        pool = ProcessPoolExecutor(max_workers=self.concurrency)
        yield from _PoolRunner[J, R](pool, self.concurrency).run(jobs, work)


def _ray_executor(concurrency: int, address: str | None = None) -> Executor:
    from student_sim.ray_executor import RayExecutor  # Ray is an optional extra, imported only when chosen

    return RayExecutor(concurrency, address=address)


EXECUTORS: dict[str, Callable[[int], Executor]] = {
    "sequential": lambda n: SequentialExecutor(),
    "threads": ThreadExecutor,
    "processes": ProcessExecutor,
    "ray": _ray_executor,
}


def make_executor(name: str, concurrency: int, *, ray_address: str | None = None) -> Executor:
    """An executor by name: `sequential`, `threads`, `processes` or `ray` (on the cluster at `ray_address`,
    else `RAY_ADDRESS`, else a local Ray instance)."""
    if name == "ray":
        return _ray_executor(concurrency, ray_address)
    if ray_address:
        raise ConfigError("--ray-address goes with --executor ray")
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise ConfigError(f"unknown executor {name!r}", f"use one of {', '.join(EXECUTORS)}") from None
    return factory(concurrency)
