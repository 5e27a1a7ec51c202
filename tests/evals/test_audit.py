"""The bad-reply audit on real replies of the bundled model (tests/fixtures/replies/bundled.jsonl, recorded by
scripts/record_replies.py): each rule fires on replies that do what it names and passes replies that do not,
picked by id; the audit of whole dialogues equals the audit of their replies; hand labels of 40 replies
bound each rule's agreement."""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from evals.audit import (
    RULES,
    AuditSummary,
    ReplyAudit,
    ReplyContext,
    audit_dialogue,
    audit_dialogues,
    audit_reply,
    off_problem,
    render_audit_markdown,
    summarize,
)
from evals.audit_text import numbers_in, written_results
from student_sim.dialogue import Dialogue, DialogueTurn, Outcome, Provenance, QualityCheck
from student_sim.provenance import versions
from tutor.problems.bank import ProblemBank
from tutor.problems.schema import DebuggingProblem
from tutor.record import TutorTurn

ROOT = Path(__file__).resolve().parents[2]
REPLIES = ROOT / "tests" / "fixtures" / "replies" / "bundled.jsonl"
HELDOUT = ROOT / "tests" / "fixtures" / "replies" / "heldout.jsonl"
HAND_LABELS = ROOT / "tests" / "fixtures" / "replies" / "hand_labels.json"


@cache
def _bank() -> ProblemBank:
    return ProblemBank.load()


@cache
def _lines(path: Path = REPLIES) -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _all_lines() -> tuple[dict[str, Any], ...]:
    """The replies the rules were written on, then the sessions held out from that (labelled blind)."""
    return _lines(REPLIES) + _lines(HELDOUT)


def _turn(line: dict[str, Any]) -> TutorTurn:
    # The fixture leaves out the knowledge state (the audit does not read it).
    return TutorTurn.model_validate({**line["turn"], "knowledge": {}})


@cache
def _audits() -> dict[str, ReplyAudit]:
    """Every recorded reply audited with the conversation before it, rebuilt from its session's lines."""
    history: dict[str, list[tuple[str, str]]] = defaultdict(list)
    out: dict[str, ReplyAudit] = {}
    for line in _all_lines():
        before = history[line["session"]] or [("tutor", line["opening"])]
        problem = _bank().get(line["problem_id"])
        out[line["id"]] = audit_reply(
            _turn(line), problem, list(before), code=line["code"], dialogue_id=line["session"]
        )
        history[line["session"]] = [*before, ("student", line["student_message"]), ("tutor", line["reply"])]
    return out


def audit(reply_id: str) -> ReplyAudit:
    return _audits()[reply_id]


def _evidence(reply_id: str, rule: str) -> str:
    return " | ".join(h.evidence for h in audit(reply_id).hits if h.rule == rule)


def test_the_fixture_is_real_model_output_of_a_bounded_size():
    lines = _lines()
    assert 60 <= len(lines) <= 150
    assert {line["domain"] for line in lines} == {"math", "physics", "debugging"}
    kinds = {line["kind"] for line in lines}
    assert {"wrong", "correct", "empty", "dont_know", "tell_me", "size_question", "off_topic"} <= kinds
    assert all(
        any(c["purpose"].startswith("reply") for c in line["turn"]["model_calls"]) or line["leak"]["fallback_used"]
        for line in lines
    )


# ---------------------------------------------------------------------------------------------- reading text


def test_numbers_are_read_in_digits_words_and_grouped_thousands():
    found = [
        (n.value, n.ordinal) for n in numbers_in("Yes, 72 000 metres in 3 600 s, $8.25, fifteen, twenty-five, 3rd")
    ]
    assert found == [(72000.0, False), (3600.0, False), (8.25, False), (3.0, True), (15.0, False), (25.0, False)]
    assert numbers_in("step s1 and test_three") == []
    assert [n.value for n in numbers_in("$5 - $7.80 = -$2.80, and 5-3")] == [5.0, 7.8, -2.8, 5.0, 3.0]


def test_only_true_written_arithmetic_supports_its_result():
    assert written_results("7 x 0.40 = 2.80, and 5 - 2.80 is 2.20") == [2.8, 2.2]
    assert written_results("7 x 0.40 = 3.10") == []
    assert written_results("she gets $5 - $7.80 = -$2.80 back") == [-2.8]


# ---------------------------------------------------------------------------------------------- independence


def test_the_audit_shares_no_code_with_the_tutor_it_grades():
    """It reads the problem schema and the turn record, never the guard or the tutor's number/answer readers."""
    banned = ("tutor.guard", "tutor.problems.answers", "tutor.problems.numbers", "tutor.assess", "tutor.compose")
    for name in ("audit.py", "audit_report.py", "audit_text.py", "audit_words.py"):
        tree = ast.parse((ROOT / "evals" / name).read_text(encoding="utf-8"))
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in modules if m.startswith(banned)], name


# ---------------------------------------------------------------------------------------------- dialogues and report


def _dialogue(session: str) -> Dialogue:
    """A recorded session as the dialogue record the evals read (opening, then student and tutor turns)."""
    lines = [line for line in _all_lines() if line["session"] == session]
    problem = _bank().get(lines[0]["problem_id"])
    turns = [DialogueTurn(index=0, role="tutor", text=lines[0]["opening"])]
    for line in lines:
        turns.append(DialogueTurn(index=len(turns), role="student", text=line["student_message"], code=line["code"]))
        record = _turn(line).model_dump_json()
        turns.append(DialogueTurn(index=len(turns), role="tutor", text=line["reply"], tutor_record=record))
    outcome = Outcome(
        status="max_turns", solved=False, leaked=False, tutor_turns=len(lines) + 1, student_turns=len(lines)
    )
    provenance = Provenance(
        job_id=session,
        tutor_model="local",
        student_policy="rules",
        seed=0,
        max_turns=len(lines),
        config_hash="0",
        config="{}",
        versions=versions(),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        duration_s=1.0,
    )
    return Dialogue(
        id=session,
        problem_id=problem.id,
        domain=problem.domain,
        problem_title=problem.title,
        problem_statement=problem.statement,
        problem_json=problem.model_dump_json(),
        profile_id="scripted",
        profile_name="scripted",
        profile_json="{}",
        turns=turns,
        outcome=outcome,
        quality=QualityCheck(passed=True),
        provenance=provenance,
    )


def test_auditing_dialogues_equals_auditing_their_replies_one_by_one():
    sessions = list(dict.fromkeys(line["session"] for line in _all_lines()))
    summary = audit_dialogues(_dialogue(s) for s in sessions)
    by_reply = summarize(list(_audits().values()))
    assert summary.replies == len(_all_lines()) == by_reply.replies
    assert [(f.rule, f.count) for f in summary.rules] == [(f.rule, f.count) for f in by_reply.rules]
    assert summary.failing_any == by_reply.failing_any == sum(a.failed for a in _audits().values())
    for rule in RULES:
        assert all(ex.dialogue_id in sessions and ex.turn_index % 2 == 0 for ex in summary.examples[rule])


def test_the_summary_counts_each_rule_and_any_rule_with_examples():
    audits = list(_audits().values())
    summary = summarize(audits, examples_per_rule=2)
    for figure in summary.rules:
        failing = [a for a in audits if figure.rule in a.rules]
        assert figure.count == len(failing) and figure.share == pytest.approx(len(failing) / len(audits))
        assert [e.reply for e in summary.examples[figure.rule]] == [a.reply for a in failing[:2]]
        assert all(e.evidence for e in summary.examples[figure.rule])
    assert max(f.count for f in summary.rules) <= summary.failing_any <= sum(f.count for f in summary.rules)
    assert AuditSummary.model_validate_json(summary.model_dump_json()) == summary


def test_the_report_section_has_a_row_per_rule_and_quotes_the_examples():
    summary = summarize(list(_audits().values()))
    text = render_audit_markdown(summary)
    assert text.startswith("## Bad-reply audit")
    for figure in summary.rules:
        assert f"| {figure.label} | {100 * figure.share:.0f}% | {figure.count} |" in text
    assert f"| any rule | {100 * summary.share_any:.0f}% | {summary.failing_any} |" in text
    flagged = next(e for f in summary.rules for e in summary.examples[f.rule])
    assert flagged.student_message[:20] in text or flagged.student_message == ""


def test_an_empty_run_renders_without_dividing_by_zero():
    summary = summarize([])
    assert summary.replies == 0 and summary.share_any == 0.0
    assert "| any rule | 0% | 0 |" in render_audit_markdown(summary)


# ---------------------------------------------------------------------------------------------- (a) false praise


@pytest.mark.parametrize(
    ("reply_id", "said"),
    [
        ("toy-math-pencils#2", "exactly right"),  # "is it more than 100?" -> "Yes, exactly right, nice work!"
        ("toy-math-school-trip#3", "exactly right"),  # an empty message
        ("physics-003-dropped-phone#2", "exactly right"),  # "I don't know"
        ("toy-physics-car-distance#6", "'Yes'"),  # the wrong 1080 -> "Yes, distance is speed times time."
        ("math-005-pizza-slices#1", "'Yes'"),  # the wrong 14 -> "Yes, there are 48 slices in total."
        ("toy-debug-max-index#3", "yes/no question"),  # "is the bug on line 3?" -> "Yes, the bug is on line 3."
    ],
)
def test_false_praise_fires_on_praise_or_yes_for_what_is_not_a_correct_answer(reply_id, said):
    assert "false_praise" in audit(reply_id).rules
    assert said in _evidence(reply_id, "false_praise")


@pytest.mark.parametrize(
    "reply_id",
    [
        "toy-math-pencils#4",  # "$2.80" (correct) -> "Yes, exactly right, nice work!"
        "toy-math-pencils#1",  # the wrong 7.40 -> "Good try, but let's test that idea."
        "math-002-bake-sale-change#6",  # the wrong 8.39 -> "I see. The juice costs $1.40, not $0.14."
        "toy-physics-car-distance#2",  # "I don't know" -> "Yes, 72 000 metres in 3 600 seconds ...": nothing to confirm
        "toy-debug-average#7",  # "?" after the tests passed -> "Congratulations! Your code is correct."
    ],
)
def test_false_praise_passes_praise_of_correct_answers_and_yes_in_other_senses(reply_id):
    assert "false_praise" not in audit(reply_id).rules


# ---------------------------------------------------------------------------------------------- (b) own question


@pytest.mark.parametrize(
    ("reply_id", "stated"),
    [
        ("toy-physics-car-distance#3", "'72'"),  # "... is 72. What is the car's speed in metres per second?"
        ("toy-physics-car-distance#8", "'1080'"),  # "The car travels 1080 metres in 15 seconds. How far does ...?"
        ("toy-physics-car-distance#1", "yes/no"),  # "Yes, 72 metres in one second is as fast as ... Is 72 metres ...?"
        ("math-002-bake-sale-change#2", "step s1"),  # "... the 3 muffins is $8.25 ... How much do the 3 muffins cost?"
        ("math-002-bake-sale-change#7", "step s2"),  # "... is $9.65. $8.25 + $1.40 is ... What does that make?"
    ],
)
def test_answers_own_question_fires_when_a_statement_gives_what_the_question_asks(reply_id, stated):
    assert "answers_own_question" in audit(reply_id).rules
    assert stated in _evidence(reply_id, "answers_own_question")


@pytest.mark.parametrize(
    "reply_id",
    [
        "toy-math-pencils#1",  # restates the given $0.40 before asking about 7 pencils
        "math-005-pizza-slices#2",  # states 48 (a leak, rule c) but asks an analogy about 2 pizzas of 8 slices
        "math-005-pizza-slices#4",  # "The students eat 3/4 of all the slices. How many slices are left over?"
        "toy-physics-car-distance#4",  # confirms the student's 20 m/s, then asks the next step
    ],
)
def test_answers_own_question_passes_givens_restated_and_questions_about_something_else(reply_id):
    assert "answers_own_question" not in audit(reply_id).rules


# ---------------------------------------------------------------------------------------------- (c) numbers


@pytest.mark.parametrize(
    ("reply_id", "number"),
    [
        ("math-002-bake-sale-change#7", "'$9.65', the answer of step s2"),
        ("math-002-bake-sale-change#2", "'$8.25', the answer of step s1"),
        ("math-005-pizza-slices#3", "'48', the answer of step s1"),  # the tutor said it before: still not given
    ],
)
def test_unsupported_number_fires_on_numbers_nothing_gave(reply_id, number):
    assert "unsupported_number" in audit(reply_id).rules
    assert number in _evidence(reply_id, "unsupported_number")


@pytest.mark.parametrize(
    "reply_id",
    [
        "toy-physics-car-distance#2",  # 72 000 metres in 3 600 seconds: the step's hint
        "physics-003-dropped-phone#1",  # 9.8 m/s after one second: the misconception's feedback
        "math-002-bake-sale-change#6",  # $0.14: the misconception's description
        "toy-physics-car-distance#8",  # 1080: the student's own earlier answer
        "math-005-pizza-slices#4",  # 3/4: the statement
    ],
)
def test_unsupported_number_passes_numbers_from_the_problem_scaffold_and_student(reply_id):
    assert "unsupported_number" not in audit(reply_id).rules


# ---------------------------------------------------------------------------------------------- (d) off-problem


@pytest.mark.parametrize(
    ("reply_id", "thing"),
    [
        ("toy-math-pencils#2", "'cookies'"),  # "how many cookies are left after the party?" on the pencils problem
        ("toy-math-school-trip#3", "'cookies'"),  # the same, after the tutor said it once already
        ("toy-math-pencils#3", "code in a word problem"),  # "What does line 4 do to `total` on each pass?"
        ("toy-debug-average#2", "`calculate_average`"),  # a renamed function the program does not have
        ("toy-debug-max-index#4", "does not contain"),  # a whole "updated code" block
        ("toy-debug-max-index#3", "`best = nums[0]`"),  # known names, but no such line in the program
    ],
)
def test_off_problem_fires_on_things_neither_the_problem_nor_the_student_mention(reply_id, thing):
    assert "off_problem" in audit(reply_id).rules
    assert thing in _evidence(reply_id, "off_problem")


@pytest.mark.parametrize(
    "reply_id",
    [
        "toy-debug-max-index#1",  # `best` and line 3 are in the program
        "math-002-bake-sale-change#5",  # "Omar is buying two kinds of things"
        "math-005-pizza-slices#4",  # students and slices
        "toy-math-pencils#7",  # "you'll remember it much better if you work it out yourself"
    ],
)
def test_off_problem_passes_the_problems_own_names_things_and_code(reply_id):
    assert "off_problem" not in audit(reply_id).rules


# ---------------------------------------------------------------------------------------------- hand labels


def _agreement(labels: dict[str, Any], rule: str) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of a rule against the hand labels."""
    flagged = {rid for rid in labels if rule in audit(rid).rules}
    marked = {rid for rid, label in labels.items() if rule in label["rules"]}
    return len(flagged & marked), len(flagged - marked), len(marked - flagged)


def test_each_rule_agrees_with_hand_labels_of_recorded_replies():
    """Labels of 52 replies the rules were written on and of 25 held-out replies labelled before the audit ran."""
    parts = json.loads(HAND_LABELS.read_text(encoding="utf-8"))
    labels = {**parts["bundled"], **parts["heldout"]}
    assert len(parts["heldout"]) == len(_lines(HELDOUT)) and len(labels) >= 70
    assert all(set(label["rules"]) <= set(RULES) for label in labels.values())
    for rule in RULES:
        tp, fp, fn = _agreement(labels, rule)
        assert tp >= 3, f"{rule}: too few labelled examples to say anything"
        assert tp / (tp + fp) >= 0.8, f"{rule}: precision {tp}/{tp + fp}"
        assert tp / (tp + fn) >= 0.7, f"{rule}: recall {tp}/{tp + fn}"


def test_a_dialogue_record_without_the_student_message_in_its_turn_record_is_read_from_the_dialogue():
    from tests.evals.conftest import S, T, make_dialogue
    from tutor.record import Assessment

    opening = T("Let's start. How much do the 7 pencils cost altogether?", record=False)
    praise = T(
        "Yes, exactly right! How many cookies are left after the party?", assessment=Assessment(label="incorrect")
    )
    (reply,) = audit_dialogue(make_dialogue("toy-math-pencils", [opening, S("7.40"), praise]))
    assert reply.student_message == "7.40" and reply.rules == {"false_praise", "off_problem"}


def test_code_quotes_are_checked_on_an_imported_problem_whose_fix_is_kept_in_words():
    # An imported debugging problem may have no fixed program (`fixed_code` None): the rule reads the buggy
    # program, the tests and the student's code instead.
    data = _bank().get("debug-001-tournament-points").model_dump(mode="json", exclude_none=True)
    data.pop("fixed_code")
    for bug in data["bugs"]:
        bug.pop("patch", None)
    problem = DebuggingProblem.model_validate({**data, "source": "socratic-debugging", "missing": ["patch"]})
    assert problem.fixed_code is None

    def hits(reply: str) -> list[str]:
        ctx = ReplyContext(problem, reply, "hm", "", "question", (), "", ())
        return off_problem(ctx)

    assert hits("Look at `total += points` again.") == []
    assert hits("Try `bogus_total = 0` first.") == ["quotes code the program does not contain: '`bogus_total = 0`'"]
