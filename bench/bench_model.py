"""Benchmark of the bundled model on this machine -> bench/results/model.json.

Figures: load time; time to first token (TTFT) of turn 5 of a conversation, cold (fresh engine state) and
with the cached prefix; prompt and decode tokens/s; and decode throughput as a fraction of the
memory-bandwidth bound (each decoded token reads the whole model once: bound = read bandwidth / model
bytes), with the read bandwidth measured in the same run.

Run: .venv/bin/python bench/bench_model.py [--spec local] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import summary, write  # noqa: E402

SYSTEM = (
    "You are a patient Socratic maths tutor. You never give the final answer. You ask one short guiding "
    "question at a time, you praise effort, and you build on what the student already said. "
) * 4
STUDENT_TURNS = [
    "Hi, I have a problem about buses for a school trip and I don't know where to start.",
    "There are 134 students and each bus holds 40 students. Do I divide?",
    "134 divided by 40 is 3.35, so 3.35 buses?",
    "Oh, you can't have part of a bus. So 3 buses are full and some students are left over?",
    # A ~50-token student message for the turn-5 figure.
    "Okay so 40 times 3 is 120 and 134 minus 120 leaves 14 students who still need a seat, which means "
    "they need one more bus even though it will be mostly empty, right? So is the total four buses?",
]


def read_bandwidth_gbs(threads: int, size_mb: int = 1024, repeats: int = 5) -> float:
    """Read bandwidth of main memory with `threads` readers (as many as decode uses), GB/s, best of `repeats`.

    Each thread sums its own slice of a 1 GiB array (numpy releases the GIL in the reduction), so the
    figure is what the cores can pull together, the same resource llama.cpp's decode is bound by.
    """
    from concurrent.futures import ThreadPoolExecutor

    data = np.ones(size_mb * 1024 * 1024 // 8, dtype=np.float64)
    chunks = np.array_split(data, threads)
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(np.sum, chunks))
            best = min(best, time.perf_counter() - start)
    return data.nbytes / best / 1e9


def _ttft(llm: Any, messages: list[dict[str, str]]) -> float:
    """Seconds to the first streamed token of a reply to `messages` (NaN when none came)."""
    start = time.perf_counter()
    first = float("nan")
    # The whole reply is read, as a client would, so the engine ends each call in the same state.
    for chunk in llm.create_chat_completion(messages=messages, max_tokens=24, temperature=0, stream=True):
        if math.isnan(first) and chunk["choices"][0]["delta"].get("content"):
            first = time.perf_counter() - start
    return first


def _conversation(llm: Any) -> tuple[list[dict[str, str]], list[float]]:
    """A 5-turn conversation whose tutor replies are the model's own, ending on the 5th student message, and
    the time to first token at each turn (the engine reuses the prefix it evaluated last)."""
    messages = [{"role": "system", "content": SYSTEM}]
    per_turn: list[float] = []
    for text in STUDENT_TURNS:
        messages.append({"role": "user", "content": text})
        per_turn.append(_ttft(llm, messages))
        reply = llm.create_chat_completion(messages=messages, max_tokens=40, temperature=0)
        messages.append({"role": "assistant", "content": reply["choices"][0]["message"]["content"]})
    return messages[:-1], per_turn


def _turn5_ttft(llm: Any, messages: list[dict[str, str]]) -> tuple[list[float], list[float]]:
    """Time to first token of turn 5, with the prefix up to the 4th tutor reply cached, and cold."""
    cached, cold = [], []
    for _ in range(3):
        llm.create_chat_completion(messages=messages[:-1] + [{"role": "user", "content": "ok"}], max_tokens=1)
        cached.append(_ttft(llm, messages))
        llm.reset()
        cold.append(_ttft(llm, messages))
    return cached, cold


def _throughput(llm: Any) -> tuple[float, float]:
    """Prompt and decode tokens per second."""
    prompt_ids = llm.tokenize((" ".join(STUDENT_TURNS) * 3).encode())
    llm.reset()
    start = time.perf_counter()
    llm.eval(prompt_ids)
    prompt_tps = len(prompt_ids) / (time.perf_counter() - start)
    start = time.perf_counter()
    out = llm.create_completion(prompt="Write a long story about a dragon.", max_tokens=64, temperature=0)
    # Separate decode from the short prompt: subtract the prompt time measured at prompt_tps.
    decode_s = max(time.perf_counter() - start - out["usage"]["prompt_tokens"] / prompt_tps, 1e-6)
    return prompt_tps, out["usage"]["completion_tokens"] / decode_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--n-ctx", type=int, default=4096)
    args = parser.parse_args()

    from llama_cpp import Llama

    from tutor.models import bundled
    from tutor.settings import default_cache_dir

    path = bundled.ensure_bundled_model(default_cache_dir())
    model_bytes = path.stat().st_size
    start = time.perf_counter()
    # Any: llama-cpp-python types its replies as a union of stream and non-stream shapes.
    llm: Any = Llama(
        model_path=str(path), n_ctx=args.n_ctx, n_threads=args.threads, n_threads_batch=args.threads, verbose=False
    )
    load_s = time.perf_counter() - start
    messages, turn_ttft_cached = _conversation(llm)
    cached, cold = _turn5_ttft(llm, messages)
    prompt_tps, decode_tps = _throughput(llm)
    bandwidth = read_bandwidth_gbs(args.threads)
    bound_tps = bandwidth * 1e9 / model_bytes
    write(
        "model",
        {
            "model": bundled.MODEL_NAME,
            "model_bytes": model_bytes,
            "threads": args.threads,
            "load_s": round(load_s, 3),
            "turn5_student_message_tokens": len(llm.tokenize(STUDENT_TURNS[-1].encode(), add_bos=False)),
            "turn5_conversation_tokens": len(llm.tokenize(str(messages).encode())),
            "ttft_turn5_cold_s": summary(cold),
            "ttft_turn5_cached_prefix_s": summary(cached),
            "ttft_per_turn_cached_s": [round(x, 3) for x in turn_ttft_cached],
            "prompt_tokens_per_s": round(prompt_tps, 1),
            "decode_tokens_per_s": round(decode_tps, 2),
            "read_bandwidth_gb_s": round(bandwidth, 2),
            "decode_bound_tokens_per_s": round(bound_tps, 2),
            "decode_fraction_of_bandwidth_bound": round(decode_tps / bound_tps, 3),
            "targets": {"decode_fraction_of_bandwidth_bound": ">= 0.70", "ttft_turn5_cached_prefix_s": "< 1.5"},
        },
    )


if __name__ == "__main__":
    main()
