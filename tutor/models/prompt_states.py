"""Saved llama.cpp prompt states, so that switching between students costs a restore, not a re-read.

llama.cpp keeps the KV cache of the last evaluated prompt only. With several students on one engine, every
switch of student re-processes that student's whole conversation (about 17-60 tokens a second on two cores).
After each call the engine's state (the KV cache of sequence 0, ~28 KB a token for the bundled model) is
saved here under the tokens it holds; before a call, the saved state that shares the longest prefix with the
new prompt is restored when it covers more than what the engine holds now. llama.cpp then processes only
the tokens after that prefix.

Keyed by content, not by session: the state of a problem's system prompt, made when a session opens, is the
prefix every session on that problem starts from, and a session's state after its last turn is the prefix
of its next turn. A state whose tokens are a prefix of a newer state is dropped (the newer one restores
it). Memory holds the most recently used states up to a byte budget; what falls out moves to a disk store
(`diskcache`, least recently used out first) up to its own budget. Only the logits-free sequence state is
kept, so a state's size is its tokens' KV cache and nothing more (the state with logits was what made
llama-cpp-python's RAM cache grow by ~70 MB a state).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StateBudget:
    """How much the store may hold: bytes in memory, bytes on disk (0: no disk tier), and the least gain
    (in tokens over what the engine already holds) that is worth a restore."""

    memory_bytes: int = 256 * 2**20
    disk_bytes: int = 2 * 2**30
    min_gain_tokens: int = 16
    min_tokens: int = 32


@dataclass
class _Entry:
    tokens: np.ndarray
    size: int


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """Length of the longest common prefix of two token arrays."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


class PromptStates:
    """A byte-budgeted store of engine states keyed by their tokens (see the module docstring).

    Not thread-safe by itself: the engine's lock serialises every use, as it does the engine's calls.
    """

    def __init__(self, budget: StateBudget, folder: Path | None = None) -> None:
        self.budget = budget
        self._index: dict[str, _Entry] = {}
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_bytes = 0
        self._disk: Any = None
        self.hits = self.misses = self.saves = 0
        if folder is not None and budget.disk_bytes > 0:
            import diskcache

            # A folder of this process's own, removed when it exits: another process's states (an eval beside
            # the app) are not in this index, and one left by a crash is never read again.
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self._folder = tempfile.TemporaryDirectory(prefix="states-", dir=folder)
                self._disk = diskcache.Cache(
                    self._folder.name, size_limit=budget.disk_bytes, eviction_policy="least-recently-used"
                )
            except OSError as exc:  # an unwritable cache folder costs the disk tier, not the model
                log.warning("prompt states kept in memory only: cannot use %s (%s)", folder, exc)

    # -- the store -----------------------------------------------------------------------------------
    def best(self, tokens: np.ndarray) -> tuple[str | None, int]:
        """The saved state sharing the longest prefix with `tokens`, and that prefix's length."""
        found, length = None, 0
        for key, entry in self._index.items():
            n = common_prefix(entry.tokens, tokens)
            if n > length:
                found, length = key, n
        return found, length

    def put(self, tokens: np.ndarray, data: bytes) -> None:
        key = hashlib.sha1(tokens.tobytes()).hexdigest()
        if key in self._index:
            self._touch(key)
            return
        for old, entry in list(self._index.items()):  # states the new one contains are redundant now
            if len(entry.tokens) <= len(tokens) and common_prefix(entry.tokens, tokens) == len(entry.tokens):
                self._drop(old)
        self._index[key] = _Entry(tokens=tokens.copy(), size=len(data))
        self._memory[key] = data
        self._memory_bytes += len(data)
        self.saves += 1
        self._spill()

    def get(self, key: str) -> bytes | None:
        data = self._memory.get(key)
        if data is not None:
            self._memory.move_to_end(key)
            return data
        data = self._disk.get(key) if self._disk is not None else None
        if data is None:
            self._index.pop(key, None)
            return None
        self._memory[key] = data  # used again: back to memory, most recent
        self._memory_bytes += len(data)
        self._disk.delete(key)
        self._spill()
        return bytes(data)

    def sizes(self) -> dict[str, int]:
        """States and bytes held, for the load benchmark and logs."""
        disk = int(self._disk.volume()) if self._disk is not None else 0
        return {"states": len(self._index), "memory_bytes": self._memory_bytes, "disk_bytes": disk}

    def _touch(self, key: str) -> None:
        if key in self._memory:
            self._memory.move_to_end(key)

    def _drop(self, key: str) -> None:
        self._index.pop(key, None)
        data = self._memory.pop(key, None)
        if data is not None:
            self._memory_bytes -= len(data)
        elif self._disk is not None:
            self._disk.delete(key)

    def _spill(self) -> None:
        """Keep memory within budget: the least recently used states go to disk, or are dropped."""
        while self._memory_bytes > self.budget.memory_bytes and self._memory:
            key, data = self._memory.popitem(last=False)
            self._memory_bytes -= len(data)
            if self._disk is None or not self._disk.set(key, data):
                self._index.pop(key, None)
        if self._disk is not None:  # the disk store evicts by itself: forget what it no longer has
            for key in [k for k in self._index if k not in self._memory and k not in self._disk]:
                self._index.pop(key, None)

    # -- the engine ------------------------------------------------------------------------------
    def restore(self, llm: Any, prompt: list[int]) -> int:
        """Before `llm` processes `prompt`: load the best saved state when it beats what `llm` holds.
        Returns the number of tokens restored (0: nothing was worth restoring)."""
        tokens = np.asarray(prompt, dtype=np.intc)
        held = common_prefix(np.asarray(llm.input_ids[: llm.n_tokens], dtype=np.intc), tokens)
        key, length = self.best(tokens)
        if key is None or length < held + self.budget.min_gain_tokens:
            self.misses += key is None or length <= held
            return 0
        data = self.get(key)
        if data is None:
            return 0
        saved = self._index[key].tokens
        llm._ctx.kv_cache_clear()
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        import llama_cpp

        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(data), 0) != len(data):
            log.warning("a saved prompt state did not load; the prompt is processed from scratch")
            self._drop(key)
            llm._ctx.kv_cache_clear()
            llm.n_tokens = 0
            return 0
        llm.input_ids[: len(saved)] = saved
        llm.n_tokens = len(saved)
        llm._requires_eval = True  # the logits are not part of the state: llama.cpp re-evaluates one token
        self.hits += 1
        return length

    def save(self, llm: Any) -> None:
        """After a call: keep the state `llm` holds now (its prompt and what it generated)."""
        n = int(llm.n_tokens)
        if n < self.budget.min_tokens:
            return
        import llama_cpp

        size = llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buffer, size, 0)
        if written <= 0 or written > size:
            return
        self.put(np.asarray(llm.input_ids[:n], dtype=np.intc), bytes(buffer)[:written])
