"""Load test of the real app over HTTP: N students at once, each taking 5 turns on its own problem.

    python -m bench.bench_app_load [--students 1 3 8] [--model local|scripted] [--turns 5] [--read-s 10]

The app runs as `socratic app` serves it (Gradio queue, the service with its fair turn queue, SQLite), in
this process; each simulated student is a `gradio_client` client in its own thread that signs up, starts a
problem and sends its messages one after the other, waiting for each reply as a browser would. Per N:
first visible text (the first streamed words of the tutor's reply) p50 / p95 overall and from turn 2 on,
errors, lost messages (a sent message that is not stored, or stored without a reply: must be 0), the
longest place in line a student was told, and the process's peak RSS. `--model scripted` replaces the
model with canned replies (measures the app and the queue, not the model). Writes
`bench/results/app_load.json`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from bench.bench_generation import TUTOR_LINES
from bench.common import free_port, summary, write

MESSAGES = ["hi, where do I start?", "is it 7.40?", "I think I multiply", "can you just tell me?", "ok, let me try"]
PROBLEMS = [
    "toy-math-pencils", "toy-math-school-trip", "math-001-library-books", "math-002-bake-sale-change",
    "math-003-camp-vans", "math-005-pizza-slices", "math-008-oatmeal-unit-price", "math-010-egg-cartons",
]  # fmt: skip


def _service(model: str, folder: Path) -> Any:
    from tutor.problems.bank import ProblemBank
    from tutor.sandbox import Sandbox
    from tutor.service import TutoringService
    from tutor.settings import Settings
    from tutor.storage.store import Store

    if model == "scripted":
        script = folder / "replies.yaml"
        script.write_text(yaml.safe_dump(TUTOR_LINES), encoding="utf-8")
        model = f"scripted:{script}"
    limits = {"messages_per_session": "100/minute", "signups_per_client": "100/hour"}
    # guided: the model writes part of every reply (auto would give the bundled model the scaffold's words and
    # leave the model idle, which measures nothing about serving a class).
    settings = Settings.load(
        data_dir=str(folder / "data"),
        roles={"tutor": model},
        access={"limits": limits},
        policy={"composition": "guided"},
    )
    return TutoringService(settings, Store.from_settings(settings), ProblemBank.load(), Sandbox())


def _student(url: str, name: str, problem: str, turns: int, out: dict[str, Any]) -> None:
    """One student's session; a failure of the app counts as an error (its message may still be stored)."""
    try:
        _session(url, name, problem, turns, out)
    except Exception as exc:  # the app refused or failed: counted, and the lost-message check reads the store
        out["errors"] += 1
        out["error_messages"].append(f"{type(exc).__name__}: {exc}"[:300])


def _text(content: Any) -> str:
    """A chat message's text: Gradio sends a string or a list of parts such as {"type": "text", "text": ...}."""
    if isinstance(content, list):
        return "".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    return str(content or "")


def _session(url: str, name: str, problem: str, turns: int, out: dict[str, Any]) -> None:
    """One student's session through the HTTP API: sign up, open a problem, read it for `read_s`, then send
    the messages one after the other. Per turn: first visible text, the model's first words (the first text
    after what showed first: the acknowledgement comes from the rules), and the whole reply."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    client.predict(name, "violet kettle march", "", api_name="/sign_up")
    client.predict(problem, api_name="/start_problem")
    time.sleep(out["read_s"])  # the student reads the problem and the opening question
    chat: list[Any] = []
    for text in MESSAGES[:turns]:
        started, first, shown, more = time.perf_counter(), None, "", None
        out["sent"].append(text)
        job = client.submit(text, "", chat, api_name="/send")
        for update in job:
            history, status = update[0], str(update[4] or "")
            if "number" in status and "in line" in status:
                out["max_place"] = max(out["max_place"], int(status.split("number ")[1].split()[0]))
            if not isinstance(history, list) or not history:  # this update left the chat as it was
                continue
            content = _text(history[-1].get("content")) if history[-1].get("role") == "assistant" else ""
            if first is None and content not in ("", "…"):
                first, shown = time.perf_counter() - started, content
            elif first is not None and more is None and len(content) > len(shown):
                more = time.perf_counter() - started
        outputs = job.outputs()
        chat = outputs[-1][0] if outputs and isinstance(outputs[-1][0], list) else chat
        if first is None:
            out["errors"] += 1
            continue
        out["first_visible_s"].append(first)
        out["model_words_s"].append(more if more is not None else first)
        out["reply_s"].append(time.perf_counter() - started)


def _lost(service: Any, names: list[str], sent: list[list[str]]) -> int:
    """Sent messages not stored, or stored without the tutor's reply after them."""
    lost = 0
    from tutor.errors import NotFoundError

    for name, said_by_client in zip(names, sent, strict=True):
        try:
            user = service.store.user_named(name)
        except NotFoundError:  # the student never got an account: every message it sent is lost
            lost += len(said_by_client)
            continue
        for session in service.store.list_sessions(user):
            transcript = service.store.transcript(session.id, user)
            said = [m.text for m in transcript if m.role == "student"]
            lost += sum(1 for text in said_by_client if text not in said)
            lost += int(bool(transcript) and transcript[-1].role == "student")  # stored, never answered
        if not service.store.list_sessions(user):
            lost += len(said_by_client)
    return lost


def _states(service: Any) -> dict[str, Any] | None:
    """The saved prompt states of the tutor's local engine (None for other backends)."""
    engine = getattr(service._model("tutor"), "engine", None)
    states = engine().states if engine is not None else None
    if states is None:
        return None
    return {**states.sizes(), "restores": states.hits, "saves": states.saves}


def run_once(n: int, model: str, turns: int, read_s: float) -> dict[str, Any]:
    import app as web

    with tempfile.TemporaryDirectory() as tmp:
        service = _service(model, Path(tmp))
        demo = web.build_app(service)
        port = free_port()
        demo.queue(default_concurrency_limit=max(4, n)).launch(
            server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True
        )
        results: list[dict[str, Any]] = [
            {
                "first_visible_s": [], "model_words_s": [], "reply_s": [], "errors": 0, "max_place": 0,
                "error_messages": [], "sent": [], "read_s": read_s,
            }
            for _ in range(n)
        ]  # fmt: skip
        names = [f"student{i}" for i in range(n)]
        url = f"http://127.0.0.1:{port}/"
        threads = [
            threading.Thread(target=_student, args=(url, names[i], PROBLEMS[i % len(PROBLEMS)], turns, r))
            for i, r in enumerate(results)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        lost = _lost(service, names, [r["sent"] for r in results])
        states = _states(service) if model != "scripted" else None
        demo.close()
        service.store.close()
        service.sandbox.close()

    def pooled(key: str, turns: slice) -> dict[str, float]:
        return summary([t for r in results for t in r[key][turns]])

    return {
        "students": n,
        "turns": n * turns,
        "read_s_before_turn_1": read_s,
        "wall_s": round(wall, 1),
        "first_visible_s": pooled("first_visible_s", slice(None)),
        "first_visible_s_turn_1": pooled("first_visible_s", slice(0, 1)),
        "first_visible_s_from_turn_2": pooled("first_visible_s", slice(1, None)),
        "model_words_s_from_turn_2": pooled("model_words_s", slice(1, None)),
        "reply_s_from_turn_2": pooled("reply_s", slice(1, None)),
        "errors": sum(r["errors"] for r in results),
        "error_messages": sorted({m for r in results for m in r["error_messages"]})[:3],
        "lost_messages": lost,
        "longest_place_in_line": max(r["max_place"] for r in results),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "prompt_states": states,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 3, 8])
    parser.add_argument("--model", default="local", help="A tutor model spec, or 'scripted' (canned replies).")
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--read-s", type=float, default=10.0, help="Seconds each student reads before turn 1.")
    args = parser.parse_args(argv)
    # Each N in a fresh process, so that its peak RSS is its own (the model is loaded again: ~3 s).
    rows = []
    for n in args.students:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            rows.append(pool.submit(run_once, n, args.model, args.turns, args.read_s).result())
    label = "scripted model (the app and the queue, no model time)" if args.model == "scripted" else "real model"
    write(
        "app_load" if args.model != "scripted" else "app_load_scripted",
        {
            "what": f"N students at once through the app's HTTP API, {args.turns} turns each, each on its own "
            f"problem, reading it {args.read_s:g} s before turn 1; first visible = the first text of the reply, "
            "model words = the first text after that (the model's), reply = the whole reply",
            "label": label,
            "model": args.model,
            "rows": rows,
        },  # fmt: skip
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
