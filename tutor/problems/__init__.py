"""Problems: the schema, loading the bank, checking answers, and the self-checks.

    from tutor.problems import ProblemBank, toy_bank, check_step

    bank = ProblemBank.load()                       # datasets/problems + datasets/toy (+ extra paths)
    problem = bank.get("toy-math-pencils")
    check_step("two dollars eighty", problem.steps[0]).verdict   # Verdict.CORRECT

Execution checks live in `tutor.problems.verify` and importers in `tutor.problems.importers`; they are
not imported here so that loading problems never pulls in the sandbox.
"""

from __future__ import annotations

from tutor.problems.answers import (
    AnswerCheck,
    NumberMention,
    Verdict,
    check_answer,
    check_numeric,
    check_step,
    check_text,
    extract_numbers,
    matches_wrong_answer,
    mentions_answer,
    normalise_text,
)
from tutor.problems.bank import (
    AnyProblem,
    ProblemBank,
    datasets_dir,
    load_collection_file,
    load_problem_file,
    toy_bank,
)
from tutor.problems.schema import (
    Bug,
    DebuggingProblem,
    MathProblem,
    NumericAnswer,
    Patch,
    PhysicsProblem,
    Problem,
    Step,
    TestCase,
    TextAnswer,
    WrongAnswer,
    parse_problem,
)

__all__ = [
    "AnswerCheck",
    "AnyProblem",
    "Bug",
    "DebuggingProblem",
    "MathProblem",
    "NumberMention",
    "NumericAnswer",
    "Patch",
    "PhysicsProblem",
    "Problem",
    "ProblemBank",
    "Step",
    "TestCase",
    "TextAnswer",
    "Verdict",
    "WrongAnswer",
    "check_answer",
    "check_numeric",
    "check_step",
    "check_text",
    "datasets_dir",
    "extract_numbers",
    "load_collection_file",
    "load_problem_file",
    "matches_wrong_answer",
    "mentions_answer",
    "normalise_text",
    "parse_problem",
    "toy_bank",
]
