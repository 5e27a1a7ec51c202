"""Fair turns on the model: at most `slots` tutor turns use the model at once, the rest wait in arrival order.

One local engine answers one request at a time on a CPU, and a tutor turn makes several model calls. Taking
whole turns in arrival order (instead of letting every waiting turn's calls interleave) gives each student
their reply as early as the line allows, and no student's long conversation starves another's. A turn joins
the line only when it first needs the model: what the rules decide (the assessment and its acknowledgement)
goes out before. A session has at most one turn under way (`open_turn`). While a turn waits, its place is
reported so the app can show it; a turn that waits longer than `max_wait_s` gives up with `TutorBusyError`,
and the student's message, already stored, waits for them to ask again (nothing is lost).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tutor.errors import InputDataError, RateLimitedError


class TutorBusyError(RateLimitedError):
    """A turn waited too long for the model; the student's message is kept."""


@dataclass(frozen=True)
class Waiting:
    """Yielded by a waiting turn: its place in line (1 = next) and how long it has waited."""

    position: int
    waited_s: float


class TurnQueue:
    """Arrival-order admission of tutor turns. Safe to share between the web server's threads."""

    def __init__(self, slots: int = 1, max_wait_s: float = 180.0, poll_s: float = 0.5) -> None:
        self.slots, self.max_wait_s, self.poll_s = slots, max_wait_s, poll_s
        self._line: deque[str] = deque()  # session ids, first in line on the left
        self._running: set[str] = set()
        self._open: set[str] = set()  # sessions with a turn under way, in line or not
        self._changed = threading.Condition()

    @contextmanager
    def open_turn(self, key: str) -> Iterator[None]:
        """Mark a turn of session `key` as under way; a second one at the same time is refused."""
        with self._changed:
            if key in self._open:
                raise InputDataError("the tutor is still answering your last message", "wait for its reply")
            self._open.add(key)
        try:
            yield
        finally:
            with self._changed:
                self._open.discard(key)

    def _place(self, key: str) -> int:
        return self._line.index(key) + 1

    def _admissible(self, key: str) -> bool:
        return len(self._running) < self.slots and self._line[0] == key

    def wait_turn(self, key: str) -> Iterator[Waiting]:
        """Join the line as `key` (a session id) and wait for a slot, yielding the place while waiting.

        When the iteration ends the slot is held: give it back with `done(key)`, in a `finally`.
        Raises InputDataError when `key` is already in line or running, TutorBusyError after `max_wait_s`.
        """
        with self._changed:
            if key in self._line or key in self._running:
                raise InputDataError("the tutor is still answering your last message", "wait for its reply")
            self._line.append(key)
        started = time.monotonic()
        try:
            while True:
                with self._changed:
                    if self._admissible(key):
                        self._line.popleft()
                        self._running.add(key)
                        return
                    self._changed.wait(self.poll_s)
                    if self._admissible(key):
                        continue
                    place = self._place(key)
                waited = time.monotonic() - started
                if waited > self.max_wait_s:
                    raise TutorBusyError(
                        "the tutor is busy with other students and could not answer in time",
                        "your message is saved: press Send (with the box empty) to get the reply",
                    )
                yield Waiting(place, round(waited, 1))
        except BaseException:
            with self._changed:
                if key in self._line:
                    self._line.remove(key)
                self._changed.notify_all()
            raise

    def busy(self, key: str) -> bool:
        """Whether `key` has a turn under way, in line or running."""
        with self._changed:
            return key in self._open or key in self._running or key in self._line

    def done(self, key: str) -> None:
        """Give the slot back (after the turn, whether it worked or not)."""
        with self._changed:
            self._running.discard(key)
            self._changed.notify_all()

    def status(self) -> tuple[int, int]:
        """(turns running, turns waiting) now."""
        with self._changed:
            return len(self._running), len(self._line)
