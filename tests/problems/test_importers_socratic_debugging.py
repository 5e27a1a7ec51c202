from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.errors import InputDataError
from tutor.problems.bank import load_collection_file
from tutor.problems.importers import (
    IMPORTERS,
    ImportedProblem,
    ImportedRecord,
    SkippedRecord,
    import_problems,
)
from tutor.problems.importers.debugging import derive_patch, patch_from_code
from tutor.problems.importers.socratic_debugging import import_socratic_debugging, parse_dialogue
from tutor.problems.labelled import StudentProfileSeed, read_labelled_jsonl
from tutor.problems.schema import DebuggingProblem
from tutor.problems.verify import verify_problem

FIXTURES = Path(__file__).parents[1] / "fixtures"
GOOD, BROKEN = FIXTURES / "socratic_debugging", FIXTURES / "socratic_debugging_broken"


def _problems(path: Path = GOOD) -> dict[str, DebuggingProblem]:
    return {o.problem.id: o.problem for o in import_socratic_debugging(path) if isinstance(o, ImportedProblem)}


def _seeds(path: Path = GOOD) -> dict[str, StudentProfileSeed]:
    return {o.record.id: o.record for o in import_socratic_debugging(path) if isinstance(o, ImportedRecord)}


def test_socratic_debugging_is_registered():
    assert IMPORTERS["socratic-debugging"] is import_socratic_debugging


def test_a_folder_gives_one_problem_per_bug_and_one_seed_per_dialogue_file():
    assert sorted(_problems()) == ["sdb-21-64-word-lengths", "sdb-22-70-running-total"]
    assert sorted(_seeds()) == [
        "sdb-21-64-word-lengths-socratic-dialogue",
        "sdb-21-64-word-lengths-thread-1",
        "sdb-22-70-running-total-socratic-dialogue",
    ]


def test_sections_map_to_statement_code_tests_and_one_bug():
    words = _problems()["sdb-21-64-word-lengths"]
    assert (words.source, words.title, words.source_ref) == (
        "socratic-debugging",
        "Word lengths",
        "21_64_word_lengths_socratic_dialogue.txt",
    )
    assert words.statement.startswith("Write a function `word_lengths")
    assert "## Example Cases:" in words.statement
    assert words.buggy_code.splitlines()[3] == "        lengths.append(len(sentence))"  # numbers stripped
    assert [t.name for t in words.tests] == [
        "test_word_lengths_1",
        "test_word_lengths_2",
        "test_word_lengths_3",
    ]
    assert words.tests[1].code == 'assert word_lengths("") == []'
    (bug,) = words.bugs
    assert (bug.lines, bug.kind, bug.fix) == (
        (4,),
        "conceptual",
        "Replace `len(sentence)` with `len(word)` on line 4.",
    )
    assert (bug.patch.find, bug.patch.replace) == ("len(sentence)", "len(word)")
    assert bug.description.startswith("On line 4, the function appends")
    assert "lengths.append(len(word))" in words.fixed_code
    assert set(words.missing) == {"concepts", "difficulty"}


def test_breaks_tests_are_the_tests_the_buggy_code_fails():
    words = _problems()["sdb-21-64-word-lengths"]
    assert words.bugs[0].breaks_tests == ("test_word_lengths_1", "test_word_lengths_3")  # "" passes


def test_unused_alternative_fixes_and_the_sidecar_are_noted():
    notes = _problems()["sdb-21-64-word-lengths"].import_notes
    assert "alternative fix not used as the patch: Replace `sentence` with `word` on line 4." in notes
    assert any(".profiles.jsonl" in n for n in notes)


def test_a_fix_in_words_falls_back_to_the_dialogues_repaired_code():
    total = _problems()["sdb-22-70-running-total"]
    (bug,) = total.bugs
    assert bug.fix == "Dedent the return statement so it runs after the loop has finished."
    assert (bug.patch.find, bug.patch.replace) == ("        return total\n", "    return total\n")
    assert bug.lines == (5,)
    assert any("patch comes from a repaired program the dialogue shows" in n for n in total.import_notes)


def test_imported_problems_pass_their_self_checks():
    for problem in _problems().values():
        report = verify_problem(problem)
        assert report.ok, report.summary()


def test_seed_keeps_the_student_description_and_the_dialogue():
    seed = _seeds()["sdb-21-64-word-lengths-socratic-dialogue"]
    assert seed.problem_id == "sdb-21-64-word-lengths"
    assert seed.profile.startswith("The student can write a for loop")
    assert [t.role for t in seed.dialogue[:2]] == ["student", "tutor"]
    assert seed.dialogue[1].alternatives == (
        "Which variable changes on every pass of your loop?",
        "What does `len(sentence)` measure?",
    )
    assert seed.dialogue[4].alternatives == ("I pass the sentence, which never changes.",)  # a student's alt
    with_code = [t for t in seed.dialogue if t.code]
    assert len(with_code) == 1 and "lengths.append(len(word))" in (with_code[0].code or "")
    thread = _seeds()["sdb-21-64-word-lengths-thread-1"]
    assert thread.profile.startswith("The student is in a hurry")


def test_dialogue_continuation_lines_join_their_turn():
    turns = parse_dialogue("User: first line\nsecond line\nAssistant: ok")
    assert [(t.role, t.text) for t in turns] == [("student", "first line\nsecond line"), ("tutor", "ok")]


CODE = "def f(xs):\n    total = 0\n    for x in xs:\n        total = x\n    return total\n"


@pytest.mark.parametrize(
    ("fix", "find", "replace", "lines"),
    [
        ("Replace `total = x` with `total += x` on line 4.", "total = x", "total += x", (4,)),
        ("On line 4, replace `total = x` with `total += x`.", "total = x", "total += x", (4,)),
        ("Replace `total = x` with `total += x`.", "total = x", "total += x", (4,)),
        ("Replace line 4 with `total += x`.", "        total = x\n", "        total += x\n", (4,)),
        # `total` occurs on three lines: the find grows to the whole line to be unique.
        ("Replace `total` with `s` on line 5.", "    return total\n", "    return s\n", (5,)),
        ("Remove line 4.", "        total = x\n", "", (4,)),
        ("Add `print(x)` after line 3.", "    for x in xs:\n", "    for x in xs:\n        print(x)\n", (3,)),
        ("Add `  # sum` at the end of line 2.", "    total = 0\n", "    total = 0  # sum\n", (2,)),
    ],
)
def test_fix_phrasings_become_unique_patches(fix, find, replace, lines):
    patch = derive_patch(CODE, fix)
    assert patch is not None
    assert (patch.find, patch.replace, patch.lines) == (find, replace, lines)
    assert CODE.count(patch.find) == 1


@pytest.mark.parametrize(
    "fix",
    [
        "Think about what the loop does.",
        "Replace `nothing` with `x` on line 4.",  # not on that line
        "Replace `total = x` with `total += x` on line 40.",  # beyond the code
    ],
)
def test_fixes_that_are_not_instructions_give_no_patch(fix):
    assert derive_patch(CODE, fix) is None


def test_patch_from_repaired_code_covers_the_one_changed_place():
    fixed = CODE.replace("total = x", "total += x")
    patch = patch_from_code(CODE, fixed)
    assert patch is not None and (patch.find, patch.lines) == ("        total = x\n", (4,))
    assert patch_from_code(CODE, CODE) is None


def test_a_file_without_its_tests_is_an_upstream_defect_listed_not_an_error():
    skipped = {o.ref: o for o in import_socratic_debugging(BROKEN) if isinstance(o, SkippedRecord)}
    missing = skipped["23_80_missing_tests_socratic_dialogue.txt"]
    assert (missing.field, missing.defect) == ("unit_tests", True)
    assert missing.reason == "the <unit_tests> section is missing in every file of this bug (an upstream defect)"


def test_a_fix_that_cannot_be_applied_is_kept_as_text_and_the_problem_kept():
    problem = _problems(BROKEN)["sdb-24-81-no-fix"]
    (bug,) = problem.bugs
    assert bug.patch is None and problem.fixed_code is None and "patch" in problem.missing
    assert bug.fix == "Think about what remainder an even number leaves."
    assert bug.breaks_tests and bug.lines  # the tests the buggy code fails; the lines it has
    assert any("kept as text" in n for n in problem.import_notes)
    with pytest.raises(ValueError, match="no patch"):
        problem.patched_code()
    assert "sdb-24-81-no-fix-socratic-dialogue" in _seeds(BROKEN)


def test_one_file_can_be_imported_on_its_own(tmp_path):
    single = tmp_path / "21_64_word_lengths_socratic_dialogue.txt"
    shutil.copy(GOOD / single.name, single)
    assert list(_problems(single)) == ["sdb-21-64-word-lengths"]


def test_strict_import_raises_naming_file_and_field(tmp_path):
    text = (GOOD / "22_70_running_total_socratic_dialogue.txt").read_text(encoding="utf-8")
    broken = tmp_path / "22_70_running_total_socratic_dialogue.txt"
    broken.write_text(text.replace("2. ", "", 1), encoding="utf-8")  # line 2 of the code loses its number
    with pytest.raises(InputDataError) as info:
        import_problems(import_socratic_debugging, tmp_path, tmp_path / "out.jsonl")
    assert "22_70_running_total_socratic_dialogue.txt:" in info.value.message
    assert "field `bug_code`: line 2 of the code is not numbered" in info.value.message


def test_cli_imports_the_usable_bugs_and_lists_the_defect(tmp_path):
    out = tmp_path / "sdb.jsonl"
    result = CliRunner().invoke(app, ["problems", "import", "socratic-debugging", str(BROKEN), str(out)])
    assert result.exit_code == 0, result.output
    assert "imported 2 problem(s)" in result.stdout and "wrote 2 student-seed record(s)" in result.stdout
    assert "skipped 1 record(s)" in result.stdout and "23_80_missing_tests" in result.stdout
    assert sorted(p.id for p in load_collection_file(out)) == ["sdb-22-70-running-total", "sdb-24-81-no-fix"]
    assert sorted(s.id for s in read_labelled_jsonl(tmp_path / "sdb.profiles.jsonl")) == [
        "sdb-22-70-running-total-socratic-dialogue",
        "sdb-24-81-no-fix-socratic-dialogue",
    ]


def test_a_problem_whose_fix_stays_text_verifies_what_can_run():
    report = verify_problem(_problems(BROKEN)["sdb-24-81-no-fix"])
    assert report.ok, report.summary()
