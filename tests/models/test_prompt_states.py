"""Saved prompt states: the store's budgets and order (no model), and restores on the bundled model."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from tutor.models.prompt_states import PromptStates, StateBudget, common_prefix


def tokens(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.intc)


def test_common_prefix_counts_matching_tokens():
    assert common_prefix(tokens(1, 2, 3), tokens(1, 2, 4, 5)) == 2
    assert common_prefix(tokens(1, 2), tokens(1, 2, 3)) == 2
    assert common_prefix(tokens(), tokens(1)) == 0
    assert common_prefix(tokens(9), tokens(1)) == 0


def test_best_is_the_state_with_the_longest_shared_prefix():
    store = PromptStates(StateBudget(memory_bytes=1000, disk_bytes=0))
    store.put(tokens(1, 2, 3, 4), b"a" * 10)
    store.put(tokens(1, 2, 7, 8, 9), b"b" * 10)
    key, length = store.best(tokens(1, 2, 7, 8, 10))
    assert length == 4 and store.get(key) == b"b" * 10
    assert store.best(tokens(5, 6)) == (None, 0)


def test_a_state_contained_in_a_newer_one_is_dropped():
    store = PromptStates(StateBudget(memory_bytes=1000, disk_bytes=0))
    store.put(tokens(1, 2, 3), b"x" * 10)  # a problem's system prompt
    store.put(tokens(1, 2, 3, 4, 5), b"y" * 20)  # a session that started from it
    assert store.sizes() == {"states": 1, "memory_bytes": 20, "disk_bytes": 0}
    key, length = store.best(tokens(1, 2, 3, 9))
    assert length == 3 and store.get(key) == b"y" * 20


def test_memory_budget_drops_the_least_recently_used_without_a_disk_tier():
    store = PromptStates(StateBudget(memory_bytes=25, disk_bytes=0))
    store.put(tokens(1, 1), b"a" * 10)
    store.put(tokens(2, 2), b"b" * 10)
    store.get(store.best(tokens(1, 1))[0])  # used again: now the most recent
    store.put(tokens(3, 3), b"c" * 10)
    assert store.best(tokens(2, 2)) == (None, 0)
    assert store.best(tokens(1, 1))[1] == 2 and store.best(tokens(3, 3))[1] == 2
    assert store.sizes()["memory_bytes"] == 20


def test_states_over_the_memory_budget_move_to_disk_and_come_back(tmp_path):
    store = PromptStates(StateBudget(memory_bytes=25, disk_bytes=10**6), tmp_path)
    for i in range(4):
        store.put(tokens(i, i, i), bytes([i]) * 10)
    sizes = store.sizes()
    assert sizes["states"] == 4 and sizes["memory_bytes"] == 20 and sizes["disk_bytes"] > 0
    key, length = store.best(tokens(0, 0, 0))
    assert length == 3 and store.get(key) == bytes([0]) * 10  # read back from disk
    assert store.sizes()["memory_bytes"] == 20


def test_an_unwritable_folder_keeps_the_states_in_memory(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    store = PromptStates(StateBudget(memory_bytes=25, disk_bytes=10**6), blocked / "states")
    store.put(tokens(1, 1), b"a" * 10)
    assert store.sizes() == {"states": 1, "memory_bytes": 10, "disk_bytes": 0}


@pytest.mark.model
def test_switching_conversations_restores_the_saved_state_and_gives_the_same_reply(local_model_path, tmp_path):
    from tutor.models.llamacpp import LlamaCppChatModel

    model = LlamaCppChatModel(
        model_path=str(local_model_path),
        n_ctx=2048,
        max_tokens=12,
        temperature=0.0,
        prompt_states=StateBudget(memory_bytes=64 * 2**20, disk_bytes=0),
        prompt_states_dir=tmp_path,
    )
    tutor = "You are a patient maths tutor. " * 12

    def ask(topic: str) -> str:
        return str(model.invoke([SystemMessage(tutor + topic), HumanMessage("Say one short sentence.")]).content)

    first_a = ask("The problem is about apples.")
    ask("The problem is about a train that leaves at noon.")  # the engine now holds the other conversation
    states = model.engine().states
    assert states is not None
    hits = states.hits
    assert ask("The problem is about apples.") == first_a
    assert states.hits == hits + 1
    assert states.sizes()["states"] >= 2


@pytest.mark.model
def test_a_q8_0_kv_cache_halves_a_saved_state_and_still_answers(local_model_path, tmp_path):
    from tutor.models.llamacpp import LlamaCppChatModel

    def state_bytes(kv: str) -> tuple[int, str]:
        model = LlamaCppChatModel(
            model_path=str(local_model_path),
            n_ctx=1024,
            max_tokens=8,
            temperature=0.0,
            kv_cache_type=kv,
            prompt_states=StateBudget(memory_bytes=64 * 2**20, disk_bytes=0),
        )
        reply = str(model.invoke([SystemMessage("You are terse. " * 10), HumanMessage("What is 2 + 3?")]).content)
        states = model.engine().states
        assert states is not None
        return states.sizes()["memory_bytes"], reply

    f16, q8 = state_bytes("f16"), state_bytes("q8_0")
    assert q8[0] < 0.6 * f16[0]
    assert "5" in q8[1] and "5" in f16[1]
