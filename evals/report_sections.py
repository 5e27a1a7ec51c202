"""Report sections that set a run beside outside references: the bad-reply audit, the simulated students'
fidelity card, the tutor's decisions against Bridge's expert labels, and the figures of the telling
detector and the judge against human labels.

Each section is computed from the stored dialogues (no model call) and also written as JSON next to the
report, so `socratic eval rescore` refreshes them and other tools can read them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.audit import audit_dialogues, render_audit_markdown
from evals.bridge_agreement import bridge_agreement, load_bridge, render_bridge_markdown
from evals.files import variant_dir
from evals.render import Block, Heading, Markdown, Para, Table
from student_sim.dialogue import Dialogue
from student_sim.fidelity import (
    DatasetFigures,
    compute_fidelity,
    mathdial_figures,
    realdata_dir,
    render_fidelity_markdown,
)
from tutor.errors import TutorError
from tutor.files import write_json
from tutor.problems.bank import datasets_dir

# The real public files a report is set beside, relative to the real-data folder (`TUTOR_REALDATA_DIR`).
MATHDIAL_FILE = Path("mathdial/dev.jsonl")
BRIDGE_FILES = (Path("bridge/validation.json"),)
TELLING_FIGURES = "evals/telling_figures.json"


def audit_section(run_dir: Path, dialogues: Mapping[str, Sequence[Dialogue]]) -> list[Block]:
    """The bad-reply audit per variant (`audit.json` next to the report)."""
    blocks: list[Block] = [Heading("Bad-reply audit")]
    rows: list[list[Any]] = []
    data: dict[str, Any] = {}
    for variant, items in dialogues.items():
        summary = audit_dialogues(items)
        data[variant] = summary.model_dump(mode="json")
        rows.append(
            [
                variant,
                str(summary.replies),
                *(f"{100 * f.share:.0f}%" for f in summary.rules),
                f"{100 * summary.share_any:.0f}%",
            ]
        )
        blocks.append(Markdown(render_audit_markdown(summary, heading_level=3).replace("Bad-reply audit", variant, 1)))
    if not rows:
        return []
    first = next(iter(data.values()))
    header = ["Variant", "Replies", *(rule["label"] for rule in first["rules"]), "Any rule"]
    write_json(run_dir / "audit.json", data)
    return [
        blocks[0],
        Para(
            "Share of tutor replies (after the opening) that fail each rule of the audit, checked by rules against "
            "the turn record, independent of the tutor's own guard (`evals/audit.py`; figures in `audit.json`)."
        ),
        Table(header, rows, align_right_from=1),
        *blocks[1:],
    ]


def fidelity_section(run_dir: Path, dialogues: Mapping[str, Sequence[Dialogue]], data_dir: Path | None) -> list[Block]:
    """Each variant's simulated students against their profiles and MathDial's real conversations."""
    path = data_dir / MATHDIAL_FILE if data_dir and (data_dir / MATHDIAL_FILE).is_file() else None
    blocks: list[Block] = []
    mathdial: DatasetFigures | None = None
    if path is not None:
        try:
            mathdial = mathdial_figures(path)  # read once for every variant
        except TutorError as exc:
            blocks.append(Para(f"MathDial's figures not computed: {exc.message}"))
    for variant, items in dialogues.items():
        if not items:
            continue
        card = compute_fidelity(list(items), source=f"variant {variant}", mathdial=mathdial)
        write_json(variant_dir(run_dir, variant) / "fidelity.json", card.to_json())
        blocks.append(
            Markdown(
                render_fidelity_markdown(card, heading="###").replace(
                    "Simulated-student fidelity", f"Simulated-student fidelity: {variant}", 1
                )
            )
        )
    if not blocks:
        return []
    note = (
        ""
        if mathdial is not None
        else " MathDial's figures are missing: set `TUTOR_REALDATA_DIR` to the folder of the real "
        "public files (with `mathdial/dev.jsonl`) and rescore."
    )
    return [
        Heading("Simulated students: fidelity card"),
        Para("How the simulated students behaved against what their profiles state, beside real students." + note),
        *blocks,
    ]


def bridge_section(run_dir: Path, data_dir: Path | None) -> list[Block]:
    """The tutor's decision labels against Bridge's expert labels (rules only, no model)."""
    paths = [data_dir / p for p in BRIDGE_FILES] if data_dir else []
    paths = [p for p in paths if p.is_file()]
    if not paths:
        return [
            Heading("Bridge decision agreement"),
            Para(
                "Not computed: set `TUTOR_REALDATA_DIR` to the folder of the real public files (with "
                "`bridge/validation.json`) and rescore, or run `python -m evals.bridge_agreement FILE...`."
            ),
        ]
    try:
        result = bridge_agreement(load_bridge(paths))
    except TutorError as exc:
        return [Heading("Bridge decision agreement"), Para(f"Not computed: {exc.message}")]
    write_json(run_dir / "bridge_agreement.json", result.to_json())
    return [Markdown(render_bridge_markdown(result, level=2))]


def telling_figures() -> dict[str, Any] | None:
    """The telling detector's and the leak guard's figures against human labels, as committed."""
    path = datasets_dir() / TELLING_FIGURES
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def telling_note() -> str:
    """One sentence on how far the telling detector agrees with humans (for the Telling@k section)."""
    figures = telling_figures()
    if not figures:
        return ""
    parts = []
    for dataset, by_split in figures["figures"].items():
        if not isinstance(by_split, dict):
            continue
        split = by_split.get("test") or by_split.get("all") or next(iter(by_split.values()), None)
        detector = (split or {}).get("detector") if isinstance(split, dict) else None
        if detector and detector.get("precision") is not None:
            name = {"mathdial": "MathDial teacher moves", "own": "this tutor's hand-labelled replies"}.get(
                dataset, dataset
            )
            parts.append(
                f"{name}: precision {100 * detector['precision']:.0f}%, recall {100 * detector['recall']:.0f}% "
                f"({detector.get('support', '?')} telling)"
            )
    if not parts:
        return ""
    return " The detector against human labels, held-out halves (datasets/evals/TELLING.md): " + "; ".join(parts) + "."


def judge_calibration_section(judge_specs: Sequence[str]) -> list[Block]:
    """The calibration figures (BEA 2025 dev, held-out half) of the judges that produced the run's judge
    scores; when no judge ran, those of the calibrated judges, so a reader knows which one to trust."""
    from evals.calibration_suite import judge_calibration

    specs = list(judge_specs) or ["learned", "local"]
    rows: list[list[Any]] = []
    for spec in specs:
        figures = judge_calibration(spec)
        if figures is None:
            rows.append([f"`{spec}`", "not calibrated", "-", "-", "-", "-", "-", "-"])
            continue
        for dimension, f in figures["dimensions"].items():
            ci = f.get("ci95") or [None, None]
            beats = "yes" if f.get("beats_majority") else "no"
            if ci[0] is not None:
                beats += f" ({100 * ci[0]:+.0f}, {100 * ci[1]:+.0f} pp)"
            best = f.get("published_best_macro_f1")
            rows.append(
                [
                    f"`{figures['judge']}` (n={figures['items']})",
                    dimension,
                    f"{f['macro_f1']:.2f}",
                    f"{100 * f['accuracy']:.0f}%",
                    f"{f['kappa']:.2f}",
                    f"{f['majority_macro_f1']:.2f}",
                    beats,
                    f"{best:.2f}" if best is not None else "-",
                ]
            )
    lead = (
        "The judge of this run (" + ", ".join(f"`{spec}`" for spec in judge_specs) + ") against human labels"
        if judge_specs
        else "No judge labelled this run (`socratic eval judge RUN --judge learned`); the calibrated judges"
    )
    return [
        Heading("Judge calibration"),
        Para(
            lead + ": BEA 2025 dev set, the held-out half of its conversations (`socratic eval calibrate`, "
            "datasets/evals/calibration/). Macro-F1 over Yes / To some extent / No, against always answering the "
            "most frequent label; beats = the bootstrap 95% interval of the macro-F1 difference is above 0. "
            "Published best: the BEA 2025 shared task's best systems (on its own test set)."
        ),
        Table(
            [
                "Judge",
                "Dimension",
                "Macro-F1",
                "Accuracy",
                "Kappa",
                "Majority macro-F1",
                "Beats majority",
                "Published best",
            ],
            rows,
            align_right_from=2,
        ),
    ]


__all__ = [
    "audit_section",
    "judge_calibration_section",
    "bridge_section",
    "fidelity_section",
    "realdata_dir",
    "telling_figures",
    "telling_note",
]
