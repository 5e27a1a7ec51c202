"""PerProcess: built once even when threads race for it, and rebuilt (not copied) in a process that
receives a pickled copy."""

from __future__ import annotations

import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from student_sim.lazy import PerProcess

BUILT: list[int] = []


def slow_build() -> object:
    BUILT.append(threading.get_ident())
    time.sleep(0.05)  # long enough for every racing thread to arrive before the first build ends
    return object()


def test_racing_threads_share_one_build():
    BUILT.clear()
    lazy = PerProcess(slow_build)
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda _: lazy.get(), range(8)))
    assert len(BUILT) == 1 and all(v is values[0] for v in values)


def test_a_pickled_copy_builds_its_own_and_discard_hands_back_the_value():
    BUILT.clear()
    lazy = PerProcess(slow_build)
    first = lazy.get()
    copy = pickle.loads(pickle.dumps(lazy))
    assert copy.get() is not first and len(BUILT) == 2
    assert lazy.discard() is first and lazy.discard() is None
    assert lazy.get() is not first and len(BUILT) == 3
