"""What the buggy program actually does when its failing test runs, read off a traced run in the sandbox.

The hint writer is a small model: asked to point at a variable's value, it guesses, and the hand labels of
the bank run found most of its traces wrong ("`given` ends up as None", "the expected value is 'Paris'").
Like the tutor's code soliloquies, the facts it may state come from running the code, not from reading it:

- the program does not parse: the error and its line (nothing runs, so no value can be watched);
- else, for each of the bug's lines (its first few runs): the variables it reads before it runs, what it
  changed after, and the line that ran next; and what each call of the program's functions returned or
  raised.

    facts = run_facts(task.task, bug_lines=(4,), sandbox=box)   # text for the hint writer's prompt
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from student_sim.hint_validation import RepairTask
from tutor.sandbox import Limits, Sandbox

_HITS = 3  # runs of each bug line shown: enough to see a loop go wrong, short enough for a small model
_CALLS = 4
_HARNESS = r"""
import json, sys
program = open("solution.py").read()
test = open("failing_test.py").read()
steps, calls, pending = [], [], {}

def short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

def tracer(frame, event, arg):
    if frame.f_code.co_filename != "solution.py":
        return None
    if len(steps) > 400:
        return None
    if event == "call":  # the arguments as passed: a list the call changes must show as it came in
        names = frame.f_code.co_varnames[: frame.f_code.co_argcount]
        pending[id(frame)] = {k: short(frame.f_locals[k]) for k in names if k in frame.f_locals}
    elif event == "line":
        steps.append([id(frame), frame.f_lineno, {k: short(v) for k, v in frame.f_locals.items()}])
    elif event == "return":
        if len(calls) < 20:
            calls.append([frame.f_code.co_name, pending.pop(id(frame), {}), short(arg)])
        steps.append([id(frame), None, {k: short(v) for k, v in frame.f_locals.items()}])
    return tracer

namespace = {"__name__": "solution"}
outcome = "passed"
try:
    exec(compile(program, "solution.py", "exec"), namespace)
    sys.settrace(tracer)
    exec(compile(test, "failing_test.py", "exec"), namespace)
except AssertionError:
    outcome = "the test's assert fails"
except BaseException as exc:
    outcome = f"{type(exc).__name__}: {exc}"[:200]
finally:
    sys.settrace(None)
print(json.dumps({"steps": steps, "calls": calls, "outcome": outcome, "cut": len(steps) > 400}))
"""


def run_facts(task: RepairTask, bug_lines: Sequence[int], sandbox: Sandbox, limits: Limits | None = None) -> str:
    """Facts of the failing test's run, as short lines for a prompt (empty when the run told nothing)."""
    try:
        compile(task.buggy_code, "solution.py", "exec")
    except SyntaxError as exc:
        return (
            f"Python cannot read the file: {exc.msg} on line {exc.lineno}. Nothing in it runs, so no value can "
            "be printed or watched; only reading that line can find the mistake."
        )
    files = {"main.py": _HARNESS, "solution.py": task.buggy_code, "failing_test.py": task.failing.code}
    result = sandbox.run(files, limits=limits)
    try:
        run = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return ""  # killed, timed out, or printed over the harness's line: no facts rather than wrong ones
    return "\n".join(_describe(run, set(bug_lines), task.buggy_code.splitlines()))


def _describe(run: dict, bug_lines: set[int], code: list[str]) -> list[str]:
    steps: list[list] = run["steps"]
    out: list[str] = []
    for line in sorted(bug_lines):
        hits = [i for i, (_, number, _) in enumerate(steps) if number == line]
        header = line <= len(code) and code[line - 1].lstrip().startswith(("def ", "class "))
        if not hits and not header:  # a def line runs when the file loads, before the test
            out.append(f"- line {line} never runs.")
        if not hits:
            continue
        more = " or more (the trace stops there)" if run.get("cut") else ""
        out.append(f"- line {line} runs {len(hits)} time{'s' if len(hits) != 1 else ''}{more}.")
        for i in hits[:_HITS]:
            frame, _, before = steps[i]
            after = next((s for s in steps[i + 1 :] if s[0] == frame), None)
            seen = ", ".join(f"{k} = {v}" for k, v in before.items()) or "no variables yet"
            text = f"  before it runs: {seen}"
            if after is not None:
                changed = {k: v for k, v in after[2].items() if before.get(k) != v}
                if changed:
                    text += "; after it: " + ", ".join(f"{k} = {v}" for k, v in changed.items())
                text += f"; next line run: {after[1]}" if after[1] is not None else "; then the function returns"
            out.append(text)
    for name, args, value in run["calls"][:_CALLS]:
        shown = ", ".join(f"{k}={v}" for k, v in args.items())
        out.append(f"- {name}({shown}) returns {value}.")
    out.append(f"- Outcome: {run['outcome']}.")
    return out
