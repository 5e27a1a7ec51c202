"""The importers on the real public files (`TUTOR_REALDATA_DIR`), through the same path as the CLI.

Each file is imported with `socratic problems import FORMAT IN OUT` and no `--skip-invalid`: it must
succeed, and the counts and fields below are those of the files in `../shared/data` (see its README).
Bridge has its own tests.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.problems.bank import load_collection_file
from tutor.problems.importers.mathdial import read_conversations
from tutor.problems.importers.records import profiles_path
from tutor.problems.labelled import LabelledTutorResponse, StudentProfileSeed, read_labelled_jsonl
from tutor.problems.schema import DebuggingProblem

pytestmark = pytest.mark.realdata


def _import(fmt: str, source: Path, out: Path) -> str:
    """Run the CLI import (strict) and return its output."""
    result = CliRunner().invoke(app, ["problems", "import", fmt, str(source), str(out)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_bea_2025_dev_set_imports_every_response_of_its_300_conversations(realdata_dir, tmp_path):
    out = tmp_path / "bea.jsonl"
    stdout = _import("bea-2025", realdata_dir / "bea2025" / "mrbench_v3_devset.json", out)
    records = read_labelled_jsonl(out)
    assert all(isinstance(r, LabelledTutorResponse) for r in records)
    assert "wrote 2476 tutor-response record(s)" in stdout and "skipped" not in stdout
    assert len(records) == len({r.id for r in records}) == 2476
    assert len({r.conversation_id for r in records}) == 300
    tutors = Counter(r.tutor for r in records)
    assert tutors["Expert"] == 300 and tutors["Novice"] == 76 and len(tutors) == 9
    assert {r.source for r in records} == {"bea-2025"}
    assert all(r.history for r in records)
    last_speaker = Counter({r.conversation_id: r.history[-1].role for r in records}.values())
    assert last_speaker == {"student": 294, "tutor": 6}  # 6 histories label the student's last words `Tutor:`
    dims = ("mistake_identification", "mistake_location", "providing_guidance", "actionability")
    for dim in dims:
        assert all(getattr(r.labels, dim) is not None for r in records), dim
    assert Counter(r.labels.mistake_identification for r in records) == {
        "Yes": 1932,
        "No": 370,
        "To some extent": 174,
    }


def test_mathdial_dev_imports_every_conversation_with_moves_and_incorrect_solutions(realdata_dir, tmp_path):
    source = realdata_dir / "mathdial" / "dev.jsonl"
    out = tmp_path / "mathdial.jsonl"
    stdout = _import("mathdial", source, out)
    assert "imported 63 problem(s)" in stdout and "wrote 200 student-seed record(s)" in stdout
    assert "skipped" not in stdout  # this slice ends on a whole line; a cut one is a listed defect
    problems = load_collection_file(out)
    assert len(problems) == 63 and all(p.source == "mathdial" for p in problems)
    seeds = [s for s in read_labelled_jsonl(profiles_path(out)) if isinstance(s, StudentProfileSeed)]
    assert len(seeds) == 200 and all(s.incorrect_solution for s in seeds)
    assert {s.problem_id for s in seeds} == {p.id for p in problems}
    teacher = [t for s in seeds for t in s.dialogue if t.role == "tutor"]
    assert len(teacher) == 1248 and all(t.move is not None for t in teacher)
    assert Counter(t.move for t in teacher) == {"focus": 423, "probing": 362, "generic": 292, "telling": 171}
    assert sum(t.role == "student" for s in seeds for t in s.dialogue) == 1132


def test_mathdial_reading_api_shares_the_importers_parser(realdata_dir):
    conversations, skipped = read_conversations(realdata_dir / "mathdial" / "dev.jsonl")
    assert len(conversations) == 200 and skipped == []
    assert len({c.qid for c in conversations}) == 63
    # 99 student turns of 16 conversations open with the student's name instead of `Student:`
    named = [c for c in conversations if any("open with the student's name" in n for n in c.notes)]
    assert len(named) == 16
    for conversation in conversations:
        assert conversation.turns[0].speaker == "teacher"
        assert all(t.text for t in conversation.turns)
        assert all((t.move is None) == (t.speaker == "student") for t in conversation.turns)
    cody = next(c for c in named if c.student_profile.startswith("Cody"))
    assert [t.speaker for t in cody.turns[:4]] == ["teacher", "student", "teacher", "student"]


def test_socratic_debugging_v2_train_gives_one_problem_per_bug_with_all_its_threads(realdata_dir, tmp_path):
    out = tmp_path / "sdb.jsonl"
    stdout = _import("socratic-debugging", realdata_dir / "socratic-debugging" / "v2_sigcse_train", out)
    assert "imported 50 problem(s)" in stdout and "wrote 132 student-seed record(s)" in stdout
    # 1_11 has no <bug_code> in either of its files: the one upstream defect, listed
    assert "skipped 2 record(s)" in stdout and "the <bug_code> section is missing in every file" in stdout
    problems = {p.id: p for p in load_collection_file(out) if isinstance(p, DebuggingProblem)}
    assert len(problems) == 50
    seeds = [s for s in read_labelled_jsonl(profiles_path(out)) if isinstance(s, StudentProfileSeed)]
    per_problem = Counter(s.problem_id for s in seeds)
    assert set(per_problem) == set(problems) and sum(per_problem.values()) == 132  # every file of 134
    assert sum(s.id.endswith("-socratic-dialogue") for s in seeds) == 50
    assert per_problem["sdb-0-0-fibonacci"] == 4 and per_problem["sdb-17-47-topk"] == 2  # socratic_thread_1
    assert all(s.dialogue for s in seeds)

    def how(p: DebuggingProblem) -> str:
        notes = " ".join(p.import_notes)
        if p.fixed_code is None:
            return "text"
        if "repaired program the dialogue shows" in notes:
            return "dialogue"
        return "words, tests fail" if "still fails" in notes else "words, tests pass"

    assert Counter(how(p) for p in problems.values()) == {
        "words, tests pass": 45,
        "words, tests fail": 4,
        "dialogue": 1,
    }
    # the four whose tests still fail: wrong expected values upstream (13_42, 14_43), an instruction that
    # writes `::` (19_49), a fix across several alternatives (8_36)
    assert {pid for pid, p in problems.items() if how(p) == "words, tests fail"} == {
        "sdb-13-42-limit",
        "sdb-14-43-used-twice",
        "sdb-19-49-word-counter",
        "sdb-8-36-plot-function",
    }
    inserted = problems["sdb-25-55-insert-to-linked-list"]  # "After line 10, insert a line `...`"
    assert inserted.fixed_code is not None and "new_node.next = curr_head.next" in inserted.fixed_code
    assert how(inserted) == "words, tests pass"  # its tests build one list step by step
    assert all(p.bugs[0].patch is not None and p.bugs[0].breaks_tests for p in problems.values())
