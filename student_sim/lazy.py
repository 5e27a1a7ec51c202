"""A value built once per process, on first use.

The picklable workers that executors run (threads, processes, Ray actors) carry only their configuration;
their heavy parts (models, sandboxes) are built where they run. `PerProcess` is that pattern in one place:
built once even when threads race for it, and left behind when pickled, so a process that receives a
copy builds its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PerProcess(Generic[T]):
    """`build()` on first `get()`, once per process; pickling carries `build` only (it must be picklable)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value

    def discard(self) -> T | None:
        """Forget the value, if built, and hand it back for the caller to close; the next `get()` builds anew."""
        with self._lock:
            value, self._value = self._value, None
            return value

    def __getstate__(self) -> dict[str, Any]:
        return {"build": self._build}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["build"])  # type: ignore[misc]


__all__ = ["PerProcess"]
