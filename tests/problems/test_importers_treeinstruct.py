from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.errors import InputDataError
from tutor.problems.bank import load_collection_file
from tutor.problems.importers import IMPORTERS, ImportedProblem, SkippedRecord, import_problems
from tutor.problems.importers.treeinstruct import example_tests, import_treeinstruct
from tutor.problems.schema import DebuggingProblem
from tutor.problems.verify import verify_problem

# Stored as `.py.txt` so linters do not read the deliberately broken code; copied back to `.py` here.
FIXTURES = Path(__file__).parents[1] / "fixtures"


def _folder(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    target.mkdir()
    for source in (FIXTURES / name).glob("*.py.txt"):
        shutil.copy(source, target / source.name.removesuffix(".txt"))
    return target


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return _folder(tmp_path, "treeinstruct")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return _folder(tmp_path, "treeinstruct_broken")


def _problems(path: Path) -> dict[str, DebuggingProblem]:
    return {o.problem.id: o.problem for o in import_treeinstruct(path) if isinstance(o, ImportedProblem)}


def test_treeinstruct_is_registered():
    assert IMPORTERS["treeinstruct"] is import_treeinstruct


def test_each_fix_line_is_one_bug_with_its_description(good):
    vowels = _problems(good)["treeinstruct-count-vowels-3bug"]
    assert (vowels.source, vowels.source_ref) == ("treeinstruct", "count_vowels_3bug.py")
    assert vowels.title == "Count vowels"  # from the method name
    assert vowels.statement.startswith("Given a string `s`")
    assert vowels.buggy_code.startswith("class Solution:\n")  # the code after the docstring
    assert [(b.id, b.lines, b.kind) for b in vowels.bugs] == [
        ("b1", (3,), "conceptual"),
        ("b2", (6,), "conceptual"),
        ("b3", (8,), "syntactic"),
    ]
    assert [b.patch.find for b in vowels.bugs] == ["count = 1", "ch in vowels", "retrun count"]
    assert vowels.bugs[1].description.startswith("On line 6, uppercase vowels")
    assert "return count" in vowels.fixed_code and "ch.lower() in vowels" in vowels.fixed_code


def test_tests_come_from_the_statements_examples(good):
    vowels = _problems(good)["treeinstruct-count-vowels-3bug"]
    assert [(t.name, t.code) for t in vowels.tests] == [
        ("test_example_1", 'assert Solution().countVowels(s = "Hello") == 2'),
        ("test_example_2", 'assert Solution().countVowels(s = "sky") == 0'),
        ("test_example_3", 'assert Solution().countVowels(s = "AEIOU") == 5'),
    ]
    assert "tests are made from the statement's examples" in vowels.import_notes


def test_breaks_tests_are_what_fails_with_only_that_bug_left(good):
    vowels = _problems(good)["treeinstruct-count-vowels-3bug"]
    by_bug = {b.id: set(b.breaks_tests) for b in vowels.bugs}
    assert by_bug["b2"] == {"test_example_3"}  # only the uppercase example shows it
    assert by_bug["b1"] == by_bug["b3"] == {"test_example_1", "test_example_2", "test_example_3"}


def test_missing_typing_import_is_added_and_lines_shift(good):
    gap = _problems(good)["treeinstruct-max-gap-2bug"]
    assert gap.buggy_code.startswith("from typing import List\nclass Solution:")
    assert [b.lines for b in gap.bugs] == [(5,), (7,)]
    assert gap.bugs[1].kind == "syntactic" and gap.bugs[1].fix == "Add a colon at the end of line 6."
    assert gap.bugs[1].patch.replace.endswith("best:\n")
    assert any("from typing import List" in n for n in gap.import_notes)


def test_imported_problems_pass_their_self_checks(good):
    for problem in _problems(good).values():
        report = verify_problem(problem)
        assert report.ok, report.summary()


def test_examples_that_do_not_parse_make_no_test():
    statement = (
        "Example 1:\nInput: n = 3\nOutput: 9\n\nExample 2:\nInput: n = \nOutput: see above\n"
        "Example 3:\nInput: n = __import__('os').getcwd()\nOutput: 1\n"
    )
    assert example_tests(statement, "square") == [("test_example_1", "assert square(n = 3) == 9")]
    assert example_tests("Input: flag = true\nOutput: false", "f") == [
        ("test_example_1", "assert f(flag = True) == False")
    ]


def test_broken_files_name_file_and_field(broken):
    skipped = {o.ref: o for o in import_treeinstruct(broken) if isinstance(o, SkippedRecord)}
    assert (skipped["no_fixes.py"].field, skipped["no_fixes.py"].reason) == (
        "bug_fixes",
        "the <bug_fixes> section is missing",
    )
    beyond = skipped["fix_beyond_code.py"]
    assert beyond.field == "bug_fixes" and "line 30" in beyond.reason


def test_strict_import_raises_naming_file_and_field(broken, tmp_path):
    with pytest.raises(InputDataError) as info:
        import_problems(import_treeinstruct, broken, tmp_path / "out.jsonl")
    assert "fix_beyond_code.py: field `bug_fixes`" in info.value.message


def test_cli_skip_invalid_imports_the_rest_and_prints_the_summary(broken, tmp_path):
    out = tmp_path / "ti.yaml"
    result = CliRunner().invoke(app, ["problems", "import", "treeinstruct", str(broken), str(out), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "imported 1 problem(s)" in result.stdout and "skipped 2 record(s)" in result.stdout
    assert "no_fixes.py" in result.stdout
    assert [p.id for p in load_collection_file(out)] == ["treeinstruct-count-vowels-3bug"]
