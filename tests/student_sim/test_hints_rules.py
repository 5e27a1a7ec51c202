"""The acceptance rules, the early stop and its equivalence with fixed n (no model, no sandbox)."""

from __future__ import annotations

import random

import pytest

from student_sim.hint_validation import (
    AttemptRecord,
    ValidationConfig,
    accepts,
    decide_from_records,
    derive_seed,
    extract_program,
    run_validation,
    settled_decision,
)


def table_student(table: dict[str, list[bool]], log: list[tuple[str, int]] | None = None):
    """An attempt function whose outcome is a fixed function of (arm, index)."""

    def attempt(arm: str, index: int) -> AttemptRecord:
        if log is not None:
            log.append((arm, index))
        return AttemptRecord(arm=arm, index=index, seed=derive_seed(arm, index), success=table[arm][index])

    return attempt


def random_table(rng: random.Random, n: int) -> dict[str, list[bool]]:
    p_without, p_with = rng.random(), rng.random()
    return {
        "without": [rng.random() < p_without for _ in range(n)],
        "with": [rng.random() < p_with for _ in range(n)],
        "holdout": [rng.random() < p_with for _ in range(n)],
    }


def random_config(rng: random.Random, early: bool) -> ValidationConfig:
    # Knob values on the grid of k/n hit the >= boundaries, where off-by-one mistakes live.
    n = rng.randint(1, 14)
    grid = [0.0, 1.0, rng.random(), rng.randint(0, n) / n]
    return ValidationConfig(
        mode=rng.choice(["gpt4hints", "pyfixv"]),
        n=n,
        alpha=rng.choice(grid),
        beta=rng.choice(grid),
        threshold=rng.choice(grid),
        early_stop=early,
    )


# ------------------------------------------------------------------------------------------------ rules


@pytest.mark.parametrize(
    ("n1", "n2", "expected"),
    [
        (0, 5, True),  # n2/n = alpha exactly
        (0, 4, True),  # (n2 - n1)/n = 0.4 >= beta
        (2, 4, False),  # 0.4 < alpha and 0.2 < beta
        (1, 4, True),  # (n2 - n1)/n = 0.3 >= 0.25
        (6, 5, False),  # the hint made things worse: n2 < n1 rejects even at n2/n >= alpha
        (10, 10, True),  # solved either way, and n2/n >= alpha
        (0, 2, False),
        (3, 3, False),  # no gain and below alpha
    ],
)
def test_gpt4hints_rule_matches_the_paper_at_its_defaults(n1, n2, expected):
    assert accepts(n1, n2, ValidationConfig()) is expected


def test_ratio_boundaries_hold_despite_binary_floats():
    # 3/10 is not exactly 0.3 in binary; the rule must still see 3 out of 10 as reaching beta = 0.3.
    config = ValidationConfig(n=10, alpha=1.0, beta=0.3)
    assert accepts(0, 3, config)
    assert not accepts(1, 3, config)
    assert accepts(0, 7, ValidationConfig(mode="pyfixv", n=10, threshold=0.7))


def test_pyfixv_reads_only_the_with_hint_count():
    config = ValidationConfig(mode="pyfixv", n=4, threshold=0.75)
    assert accepts(4, 3, config)  # n1 larger than n2 does not matter in this mode
    assert not accepts(0, 2, config)


def test_settled_decision_needs_every_completion_to_agree():
    config = ValidationConfig(n=10)
    assert settled_decision(0, 5, 5, 5, config) is True  # worst case n1 = 5, n2 = 5 still accepts
    assert settled_decision(0, 5, 4, 5, config) is None  # n2 could end at 4 with n1 at 5
    assert settled_decision(6, 6, 0, 5, config) is False  # n2 <= 5 < 6 <= n1 whatever happens
    assert settled_decision(0, 0, 0, 0, config) is None
    assert settled_decision(3, 10, 7, 10, config) is accepts(3, 7, config)


# ----------------------------------------------------------------------------------------- early stop


def test_early_stop_decides_like_the_fixed_procedure_on_random_configurations():
    rng = random.Random(20240611)
    saved = total = 0
    for _ in range(3000):
        early_cfg = random_config(rng, early=True)
        fixed_cfg = early_cfg.model_copy(update={"early_stop": False})
        table = random_table(rng, early_cfg.n)
        fixed = run_validation(table_student(table), fixed_cfg)
        early = run_validation(table_student(table), early_cfg)
        # Independent oracle: the rule applied to the complete outcome table.
        oracle = accepts(sum(table["without"]), sum(table["with"]), fixed_cfg)
        assert fixed.accepted is oracle
        assert early.accepted is oracle, (early_cfg, table)
        assert early.calls <= fixed.calls
        saved += fixed.calls - early.calls
        total += fixed.calls
    assert saved > 0.2 * total  # the early stop actually saves calls, on average well over a fifth


def test_fixed_procedure_runs_every_attempt_the_rule_reads():
    table = {"without": [False] * 10, "with": [True] * 10}
    record = run_validation(table_student(table), ValidationConfig(early_stop=False))
    assert (record.done_without, record.done_with, record.calls) == (10, 10, 20)
    assert not record.early_stopped and record.complete
    pyfixv = run_validation(table_student(table), ValidationConfig(mode="pyfixv", early_stop=False))
    assert (pyfixv.done_without, pyfixv.done_with) == (0, 10)


def test_a_clearly_good_hint_stops_after_half_the_attempts():
    table = {"without": [False] * 10, "with": [True] * 10}
    record = run_validation(table_student(table), ValidationConfig())
    assert record.accepted and record.early_stopped
    assert record.calls == 10  # n1 <= 5 and n2 >= 5 settle it: no completion can reject


def test_pyfixv_never_pays_for_the_without_arm():
    log: list[tuple[str, int]] = []
    table = {"without": [True] * 8, "with": [True, False, True, True, False, True, True, True]}
    record = run_validation(table_student(table, log), ValidationConfig(mode="pyfixv", n=8, threshold=0.5))
    assert record.accepted
    assert all(arm == "with" for arm, _ in log)
    assert record.done_with == 6  # the 4th success comes with the 6th attempt, and 4/8 reaches 0.5


def test_the_seed_of_an_attempt_depends_only_on_arm_and_index():
    table = {"without": [True, False, True, False], "with": [False, True, True, True]}
    records = [
        run_validation(table_student(table), ValidationConfig(n=4, early_stop=e, mode=m))
        for e in (True, False)
        for m in ("gpt4hints", "pyfixv")
    ]
    seeds: dict[tuple[str, int], int] = {}
    for record in records:
        for a in record.attempts:
            assert seeds.setdefault((a.arm, a.index), a.seed) == a.seed


def test_without_hint_attempts_are_reused_across_trials_at_no_cost():
    cache: dict[int, AttemptRecord] = {}
    log: list[tuple[str, int]] = []
    without = [True, True, False, False, False, False]  # n1 = 2
    weak = {"without": without, "with": [True, True, False, False, False, False]}  # no gain: rejected
    good = {"without": without, "with": [True, True, True, True, False, False]}  # n2 = 4 >= n1, 4/6 >= alpha
    first = run_validation(table_student(weak, log), ValidationConfig(n=6), without_cache=cache)
    made_without = sum(1 for arm, _ in log if arm == "without")
    assert not first.accepted and made_without > 0
    log.clear()
    second = run_validation(table_student(good, log), ValidationConfig(n=6), without_cache=cache)
    reused = [a for a in second.attempts if a.reused]
    assert second.accepted and reused and len(reused) == min(made_without, second.done_without)
    assert all(a.calls == 0 for a in reused)
    assert second.calls == len(log)
    assert not any(arm == "without" and index < made_without for arm, index in log)


def test_full_mode_runs_both_arms_and_the_holdout_whatever_the_rule():
    table = {"without": [False] * 5, "with": [True] * 5, "holdout": [True, True, False, True, True]}
    record = run_validation(table_student(table), ValidationConfig(mode="pyfixv", n=5), holdout=5, full=True)
    assert record.complete and record.calls == 15
    assert [a.success for a in record.holdout] == table["holdout"]
    assert all(a.arm == "holdout" for a in record.holdout)


def test_decisions_under_other_knobs_come_from_a_complete_record_without_a_model():
    table = {"without": [True, False, False, False], "with": [True, True, True, False]}
    record = run_validation(table_student(table), ValidationConfig(n=4, early_stop=False))
    strict = ValidationConfig(n=4, alpha=1.0, beta=1.0)
    lenient = ValidationConfig(n=4, alpha=0.5, beta=0.5)
    assert decide_from_records(record, strict) is False
    assert decide_from_records(record, lenient) is True
    with pytest.raises(ValueError):
        decide_from_records(record, ValidationConfig(n=5))


def test_an_early_stopped_record_cannot_answer_for_a_rule_that_needs_more():
    table = {"without": [False] * 10, "with": [True] * 10}
    record = run_validation(table_student(table), ValidationConfig(mode="pyfixv"))
    assert record.done_without == 0 and record.done_with < 10
    assert decide_from_records(record, ValidationConfig()) is None  # n1 was never sampled
    assert decide_from_records(record, ValidationConfig(mode="pyfixv", threshold=0.3)) is True
    assert decide_from_records(record, ValidationConfig(mode="pyfixv", threshold=1.0)) is None


# --------------------------------------------------------------------------------------- code in replies


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Here it is:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1\n"),
        ("```\nx = 1\n```", "x = 1\n"),
        (
            "```python\ndef f():\n    return 2\n",
            "def f():\n    return 2\n",
        ),  # cut off before the fence closed
        ('{"code": "def f():\\n    return 3"}', "def f():\n    return 3\n"),
        ("def f():\n    return 4", "def f():\n    return 4\n"),
        ("I think the loop is wrong.", None),
        ("", None),
        ('{"answer": 3}', None),
    ],
)
def test_the_program_is_found_in_a_fence_a_json_field_or_the_whole_reply(reply, expected):
    assert extract_program(reply) == expected


def test_the_first_python_fence_wins_over_later_usage_examples():
    reply = "```python\ndef f(x):\n    return x\n```\nUse it:\n```python\nprint(f(2))\n```"
    assert extract_program(reply) == "def f(x):\n    return x\n"
