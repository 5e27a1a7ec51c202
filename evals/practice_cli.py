"""`socratic eval practice`: the closed-loop evaluation of what to practise next (evals.practice_loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def practice_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.md, summary.json, accuracy.png.")],
    profiles: Annotated[str, typer.Option(help="Profile ids, comma-separated, or 'all'.")] = "all",
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per profile (students = profiles x seeds).")] = 2,
    practice: Annotated[int, typer.Option(min=1, help="Practice problems per student and policy.")] = 5,
    post_test: Annotated[int, typer.Option("--post-test", min=1, help="Problems held back for the post-test.")] = 8,
    domain: Annotated[str, typer.Option(help="math or physics.")] = "math",
    tutor_model: Annotated[
        str | None, typer.Option("--tutor-model", help="Let this model write the replies (default: no model).")
    ] = None,
) -> None:
    """Targeted vs random vs fixed-order practice with simulated students, then a held-back post-test."""
    from tqdm import tqdm

    from evals.practice_loop import POLICIES, LoopSettings, PracticeLoop, accuracy_png, report_markdown, summarize
    from student_sim.profiles import get_profile, load_profiles
    from tutor.files import atomic_write_bytes, atomic_write_text, write_json
    from tutor.models import get_chat_model
    from tutor.problems.bank import ProblemBank
    from tutor.sandbox import Sandbox
    from tutor.settings import Settings

    settings = Settings.load()
    library = load_profiles()
    chosen = library if profiles == "all" else [get_profile(p.strip(), library) for p in profiles.split(",")]
    model = get_chat_model(tutor_model, settings.model, cache_dir=settings.cache_dir) if tutor_model else None
    loop_settings = LoopSettings(practice=practice, post_test=post_test)
    with Sandbox() as sandbox:
        loop = PracticeLoop(ProblemBank.load(settings.problems_path).list(domain=domain), model, sandbox, loop_settings)
        jobs = [(p, s, policy) for p in chosen for s in range(seeds) for policy in POLICIES]
        results = [loop.run_student(p, s, policy) for p, s, policy in tqdm(jobs, desc="practice", unit="student")]
    summary = summarize(results)
    label = f"tutor model {tutor_model}" if tutor_model else "rule-based simulated students, scaffold replies, no model"
    meta = {"students": len(chosen) * seeds, "label": label, "practice": practice, "pool": len(loop.pool),
            "post_test": len(loop.post), "post_test_problems": [p.id for p in loop.post]}  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "summary.json", {"meta": meta, "summary": summary, "students": [r.__dict__ for r in results]})
    atomic_write_text(out / "report.md", report_markdown(summary, meta) + "\n![accuracy](accuracy.png)\n")
    atomic_write_bytes(out / "accuracy.png", accuracy_png(summary))
    typer.echo(report_markdown(summary, meta))
    typer.echo(f"wrote {out / 'report.md'} and {out / 'summary.json'}")


def _budget_list(text: str) -> list[int]:
    try:
        budgets = sorted({int(b) for b in text.split(",") if b.strip()})
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give whole numbers, comma-separated (e.g. 1,2)") from None
    if not budgets or budgets[0] < 1:
        raise typer.BadParameter("give at least one budget of 1 or more (no help at all is the 'never' arm)")
    return budgets


def hint_budget_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.md, summary.json, budget.png.")],
    profiles: Annotated[str, typer.Option(help="Math profile ids, comma-separated, or 'all'.")] = "all",
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per profile (students = profiles x seeds).")] = 2,
    budget: Annotated[
        str, typer.Option(help="Interventions per problem, the same for every policy; several: comma-separated.")
    ] = "1,2",
    threshold: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="student_model: intervene below this P(unaided).")
    ] = 0.5,
    problems: Annotated[int, typer.Option(min=1, help="Problems per student (its hardest in the bank).")] = 6,
    max_turns: Annotated[int, typer.Option(min=1, help="Student turns per problem at most.")] = 10,
) -> None:
    """When to intervene: the student-model hint budget against random, always and never, same budget."""
    from tqdm import tqdm

    from evals.hint_budget_eval import budget_png, hardest_for, own_accuracy, report_markdown, run_student, summarize
    from student_sim.profiles import get_profile, load_profiles
    from tutor.files import atomic_write_bytes, atomic_write_text, write_json
    from tutor.hint_budget import HintBudget
    from tutor.problems.bank import ProblemBank
    from tutor.sandbox import Sandbox

    budgets = _budget_list(budget)
    library = [p for p in load_profiles() if "math" in p.domains]
    chosen = library if profiles == "all" else [get_profile(p.strip(), library) for p in profiles.split(",")]
    bank = ProblemBank.load().list(domain="math")
    pools = {p.id: hardest_for(p, bank, problems) for p in chosen}
    arms: list[HintBudget | str | None] = [HintBudget(per_problem=0, policy="never")]
    arms += [HintBudget(per_problem=None, policy="always")]
    arms += [HintBudget(per_problem=b, policy=pol, threshold=threshold)
             for b in budgets for pol in ("student_model", "random", "always")]  # fmt: skip
    arms += [None, "preempt"]  # no budget, as usual and pre-empting the forecast misconception
    jobs = [(p, s, arm) for p in chosen for s in range(seeds) for arm in arms]
    with Sandbox() as sandbox:
        results = [
            run_student(pools[p.id], p, s, arm.model_copy(update={"seed": s}), sandbox, max_turns)
            if isinstance(arm, HintBudget)
            else run_student(pools[p.id], p, s, None, sandbox, max_turns, preempt=arm == "preempt")
            for p, s, arm in tqdm(jobs, desc="hint budget", unit="student")
        ]
    summary = summarize(results)
    own = [own_accuracy(q, p) for p in chosen for q in pools[p.id]]
    meta = {"students": len(chosen) * seeds, "profiles": len(chosen), "seeds": seeds, "problems": problems,
            "budgets": [str(b) for b in budgets], "threshold": threshold, "max_turns": max_turns,
            "own_accuracy": sum(own) / len(own),
            "problems_by_profile": {k: [q.id for q in v] for k, v in pools.items()},
            "label": "rule-based simulated students, scaffold replies, no model"}  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    rows = [{**r.__dict__, "decisions": len(r.decisions)} for r in results]
    write_json(out / "summary.json", {"meta": meta, "summary": summary, "students": rows})
    atomic_write_text(out / "report.md", report_markdown(summary, meta) + "\n![solve rate by budget](budget.png)\n")
    atomic_write_bytes(out / "budget.png", budget_png(summary))
    typer.echo(report_markdown(summary, meta))
    typer.echo(f"wrote {out / 'report.md'}, {out / 'summary.json'} and {out / 'budget.png'}")
