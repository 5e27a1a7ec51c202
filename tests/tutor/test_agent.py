"""TutorAgent paths with a scripted model: the fast path makes one model call, every label leads to its
move, leaks are regenerated then replaced, calculations are repaired then given up, bugs are worked in
order, and every turn record survives JSON."""

from __future__ import annotations

import pytest

from tests.tutor.conftest import scripted
from tutor.agent import TurnDone
from tutor.errors import ModelBackendError
from tutor.guard.leak import LeakGuard
from tutor.record import TutorState, TutorTurn

LEAKS = ["She gets $2.20 back.", "The change is two dollars twenty.", "It is 11/5 dollars."]


def _run(agent, messages, codes=None):
    _, state = agent.start()
    turns = []
    for i, message in enumerate(messages):
        turn, state = agent.step(message, state, code=(codes or {}).get(i))
        turns.append(turn)
    return turns, state


def test_start_opens_with_the_first_scaffold_question_without_a_model_call(bank, make_agent):
    model = scripted()
    opening, state = make_agent(bank.get("toy-math-pencils"), model).start()
    assert opening.endswith("How much do the 7 pencils cost altogether?")
    assert model.calls == []
    assert state.plan.current == "s1" and state.history[0].role == "tutor"
    assert state.knowledge.mastery and all(v == 0.3 for v in state.knowledge.mastery.values())


def test_correct_answer_on_the_fast_path_makes_exactly_one_model_call(bank, make_agent):
    agent = make_agent(bank.get("toy-math-pencils"), scripted())
    (turn,), state = _run(agent, ["I think it's 2.80"])
    assert turn.assessment.label == "correct" and turn.assessment.source == "rules"
    assert turn.model_calls and len(turn.model_calls) == 1 and turn.model_calls[0].purpose == "reply"
    assert turn.decision.class_action == "affirm_and_advance"
    assert state.plan.current == "s2" and state.plan.node("s1").status == "done"
    assert all(turn.knowledge.get(c) > 0.3 for c in ("multiplication", "decimals"))
    ack, _, guiding = turn.reply.partition("! ")
    assert ack in ("Yes, that's right, nice work", "That's correct, well done.", "Exactly right, good thinking.")
    assert turn.reply.endswith("What could you try next?"), "the model writes only the guiding part"


def test_a_calculation_the_student_shows_is_run_without_a_model_call(bank, make_agent):
    agent = make_agent(bank.get("toy-math-pencils"), scripted())
    (turn,), _ = _run(agent, ["I multiplied 7 by 0.40 and got 2.80"])
    assert turn.assessment.label == "correct"
    assert [s.decided_by for s in turn.soliloquies] == ["rules"]
    assert [c.purpose for c in turn.model_calls] == ["reply"]


@pytest.mark.parametrize(
    ("pid", "messages", "misconception", "feedback"),
    [
        ("toy-math-pencils", ["7.40"], "wrong-operation", "could seven pencils cost only $7.40"),
        ("toy-math-pencils", ["28"], "decimal-point-error", "cost more than five dollars"),
        ("toy-math-pencils", ["2.80", "2.80"], "forgot-step", "That is what the pencils cost"),
        ("toy-math-school-trip", ["3.35"], "decimal-count-of-objects", "0.35 full"),
        ("toy-physics-car-distance", ["72 m/s"], "unit-conversion", "72 kilometres in a whole hour"),
        ("toy-physics-free-fall", ["0", "speed"], "constant-velocity-in-free-fall", "hit the ground harder"),
    ],
)
def test_each_misconception_gets_its_feedback_and_counts_as_a_failure(
    bank, make_agent, pid, messages, misconception, feedback
):
    agent = make_agent(bank.get(pid), scripted())
    turns, state = _run(agent, messages)
    turn = turns[-1]
    assert turn.assessment.label == "incorrect" and turn.assessment.misconception == misconception
    assert feedback in turn.decision.move_text
    assert "Do not say the correct value" in turn.decision.move_text
    assert len(turn.model_calls) == 1
    assert state.failed_attempts == 1
    assert state.plan.current == turn.assessment.node_id, "a wrong answer re-asks at the same node"


def test_repeated_wrong_answers_switch_to_teaching(bank, make_agent):
    agent = make_agent(bank.get("toy-math-pencils"), scripted())
    turns, state = _run(agent, ["7.40", "28", "3.10"])
    assert [t.decision.class_action for t in turns] == ["give_feedback", "give_feedback", "teach"]
    assert state.plan.node("s1").taught
    assert state.failed_attempts == 3


def test_an_arithmetic_slip_is_pointed_out_from_the_executed_calculation(bank, make_agent):
    agent = make_agent(bank.get("toy-math-pencils"), scripted())
    (turn,), _ = _run(agent, ["7 x 0.4 = 2.6"])
    assert turn.assessment.misconception == "arithmetic-slip"
    assert turn.decision.bridge_error == "careless"
    assert "redo that calculation" in turn.decision.move_text
    assert len(turn.model_calls) == 1


def test_partial_answer_holds_the_node_and_re_asks(bank, make_agent):
    agent = make_agent(bank.get("toy-math-school-trip"), scripted())
    (turn,), state = _run(agent, ["14"])
    assert turn.assessment.label == "partially_correct"
    assert turn.decision.class_action == "give_feedback"
    assert "How many buses can be filled completely?" in turn.decision.move_text
    assert state.plan.current == "s1" and state.failed_attempts == 0


@pytest.mark.parametrize(
    ("message", "label", "action"),
    [
        ("why do we multiply here?", "question", "answer_question"),
        ("I like pizza and football", "off_topic", "redirect"),
        ("I don't know", "unclear", "encourage"),
        ("just tell me the answer", "question", "answer_question"),
    ],
)
def test_messages_without_an_answer_get_their_move(bank, make_agent, message, label, action):
    agent = make_agent(bank.get("toy-math-pencils"), scripted())
    (turn,), state = _run(agent, [message])
    assert (turn.assessment.label, turn.decision.class_action) == (label, action)
    assert state.plan.current == "s1"
    assert len(turn.model_calls) == 1


def test_a_leak_is_regenerated_then_the_reply_goes_out(bank, make_agent):
    agent = make_agent(
        bank.get("toy-math-pencils"),
        scripted({"reply": ["She gets $2.20 back.", "Good start! What does one pencil cost?"]}),
    )
    (turn,), _ = _run(agent, ["hmm"])
    assert turn.reply.endswith(" Good start! What does one pencil cost?")
    assert [c.purpose for c in turn.model_calls] == ["reply", "reply-regenerate"]
    assert len(turn.leak.attempts) == 1 and not turn.leak.fallback_used and turn.leak.passed


def test_leaking_every_time_falls_back_to_the_scaffold_question(bank, make_agent):
    problem = bank.get("toy-math-pencils")
    agent = make_agent(problem, scripted({"reply": LEAKS}), max_leak_regenerations=2)
    (turn,), _ = _run(agent, ["hmm"])
    assert turn.leak.fallback_used and turn.leak.passed
    assert [len(a.reasons) > 0 for a in turn.leak.attempts] == [True, True, True]
    assert [a.text for a in turn.leak.attempts] == LEAKS
    assert len(turn.model_calls) == 3
    assert turn.reply.endswith(" How much do the 7 pencils cost altogether?"), "the scaffold's own question"
    assert LeakGuard(problem).check(turn.reply).ok


@pytest.mark.parametrize(
    "bad",
    [
        ModelBackendError("request timed out"),
        "",
        "\x00\x00\x00{{{}}}",
        '{"reply": "json"}',
        RuntimeError("socket closed"),
    ],
)
def test_a_broken_model_yields_the_scaffold_reply_never_an_exception(bank, make_agent, bad):
    agent = make_agent(bank.get("toy-math-school-trip"), scripted({"reply": [bad]}))
    (turn,), state = _run(agent, ["3"])
    assert turn.assessment.label == "correct", "the assessment does not depend on the model"
    assert turn.leak.fallback_used
    assert turn.reply.endswith(" How many students still have no seat once those buses are full?")
    assert "json" not in turn.reply and "\x00" not in turn.reply
    assert state.plan.current == "s2"


def test_an_unexplained_wrong_answer_gets_a_calculation_repaired_then_given_up(bank, make_agent):
    model = scripted(
        {
            "decide": [{"needs_calculation": True, "description": "7 pencils at $0.40"}],
            "code": [{"code": "print(seven * 0.4)"}, {"code": "print(7 * price)"}, {"code": "print('?')"}],
        }
    )
    agent = make_agent(bank.get("toy-math-pencils"), model, max_code_repairs=2)
    (turn,), _ = _run(agent, ["I took the 7 pencils and multiplied the price 0.40 with them, got 3.10"])
    assert turn.assessment.label == "incorrect" and turn.assessment.misconception is None
    (soliloquy,) = turn.soliloquies
    assert soliloquy.decided_by == "model" and not soliloquy.ok
    assert [r.code for r in soliloquy.repairs] == ["print(seven * 0.4)", "print(7 * price)"]
    assert soliloquy.error is not None and soliloquy.error.startswith("gave up after 2 repairs")
    assert [c.purpose for c in turn.model_calls] == [
        "soliloquy-decide",
        "soliloquy-code",
        "soliloquy-repair",
        "soliloquy-repair",
        "reply",
    ]
    assert turn.reply.endswith(" What could you try next?")


def test_a_repaired_calculation_reaches_the_prompt_but_not_the_step_answer(bank, make_agent):
    model = scripted(
        {
            "decide": [{"needs_calculation": True, "description": "7 pencils at $0.40"}],
            "code": [{"code": "print(seven * 0.4)"}, {"code": "print(7 * 0.4)"}],
            "reply": [
                "Let's check: 7 pencils at $0.40 make 2.8 dollars, not 3.10. Where did the extra come from?",
                "Where did the extra money in 3.10 come from?",
            ],
        }
    )
    agent = make_agent(bank.get("toy-math-pencils"), model)
    (turn,), _ = _run(agent, ["I took the 7 pencils and multiplied the price 0.40 with them, got 3.10"])
    assert turn.soliloquies[0].ok and turn.soliloquies[0].value == pytest.approx(2.8)
    assert len(turn.soliloquies[0].repairs) == 1
    prompt = str(model.calls[-2][-1].content)
    assert "CALCULATION" in prompt and "2.8" in prompt, "the tutor replies from the executed result"
    assert "the answer of step s1" in turn.leak.attempts[0].reasons[0], "the step's answer is not told"
    assert turn.reply.endswith("Where did the extra money in 3.10 come from?"), turn.leak.attempts


def test_a_solved_problem_may_be_confirmed(bank, make_agent):
    agent = make_agent(
        bank.get("toy-math-pencils"), scripted({"reply": ["Yes, $2.20 is right! How could you check it?"]})
    )
    turns, state = _run(agent, ["2.80", "5 - 2.80 = 2.20"])
    assert turns[-1].solved and state.solved and state.plan.current is None
    assert turns[-1].decision.class_action == "confirm_solution"
    assert turns[-1].leak.attempts == [] and "$2.20" in turns[-1].reply


def test_the_teachers_reveal_policy_lets_the_answer_out_after_enough_failures(bank, make_agent):
    agent = make_agent(
        bank.get("toy-math-pencils"),
        scripted({"reply": ["The answer is $2.20. Why?"]}),
        reveal_after_failed_attempts=1,
    )
    turns, _ = _run(agent, ["7.40", "28"])
    assert not turns[0].leak.reveal_allowed and turns[0].leak.fallback_used
    assert turns[1].leak.reveal_allowed and turns[1].reply.endswith(" The answer is $2.20. Why?")


def test_without_the_guard_nothing_is_checked(bank, make_agent):
    agent = make_agent(bank.get("toy-math-pencils"), scripted({"reply": ["She gets $2.20 back."]}), use_guard=False)
    (turn,), _ = _run(agent, ["hmm"])
    assert "She gets $2.20 back." in turn.reply and not turn.leak.checked


def test_stream_yields_the_vetted_pieces_then_the_record(bank, make_agent):
    agent = make_agent(
        bank.get("toy-math-pencils"),
        scripted({"reply": ["Good try. Could 7 pencils cost only $7.40? Check it."]}),
    )
    _, state = agent.start()
    items = list(agent.stream("7.40", state))
    assert isinstance(items[-1], TurnDone) and all(isinstance(i, str) for i in items[:-1])
    assert len(items) > 2, "sentences arrive one by one"
    assert "".join(items[:-1]).strip() == items[-1].turn.reply
    timings = items[-1].turn.timings
    assert 0 < timings["first_visible_s"] <= timings["total_s"]
    assert timings["outside_model_s"] <= timings["total_s"]


def test_turn_and_state_round_trip_through_json(bank, make_agent):
    model = scripted(
        {
            "decide": [{"needs_calculation": True, "description": "x"}],
            "code": [{"code": "print(1/0)"}],
            "reply": LEAKS,
        }
    )
    agent = make_agent(bank.get("toy-math-pencils"), model)
    (turn,), state = _run(agent, ["I took the 7 pencils and multiplied the price 0.40 with them, got 3.10"])
    assert turn.soliloquies and turn.leak.attempts, "a record with every part filled in"
    assert TutorTurn.model_validate_json(turn.model_dump_json()) == turn
    assert TutorState.model_validate_json(state.model_dump_json()) == state


def test_history_and_turn_index_advance(bank, make_agent):
    agent = make_agent(bank.get("toy-math-pencils"), scripted())
    turns, state = _run(agent, ["hi", "7.40"])
    assert [t.index for t in turns] == [1, 2]
    assert [m.role for m in state.history] == ["tutor", "student", "tutor", "student", "tutor"]
    assert state.history[-2].content == "7.40"


def test_a_huge_message_is_clipped_not_refused(bank, make_agent):
    agent = make_agent(bank.get("toy-math-pencils"), scripted())
    (turn,), state = _run(agent, ["2.80 " + "x" * 30_000])
    assert len(turn.student_message) == 20_000
    assert len(state.history[-2].content) < 4_100
    assert turn.reply


# -- debugging ----------------------------------------------------------------------------------------


def test_an_explanation_is_judged_and_understanding_moves_to_the_fix(bank, make_agent):
    model = scripted({"judge": [{"identifies_the_bug": True, "reason": "says the total is overwritten"}]})
    agent = make_agent(bank.get("toy-debug-average"), model)
    (turn,), state = _run(agent, ["the total gets replaced on each pass instead of growing"])
    assert (turn.assessment.label, turn.assessment.source) == ("correct", "model")
    assert [c.purpose for c in turn.model_calls] == ["judge-understanding", "reply"]
    assert state.plan.current == "b1.fix"


def test_code_that_fixes_the_bug_solves_a_one_bug_problem(bank, make_agent):
    problem = bank.get("toy-debug-average")
    agent = make_agent(problem, scripted())
    (turn,), state = _run(agent, ["done"], codes={0: problem.fixed_code})
    assert turn.solved and turn.resolved_bugs == ["b1"]
    assert {t.status for t in turn.tests} == {"passed"}
    assert state.code == problem.fixed_code
    assert len(turn.model_calls) == 1


def test_a_dependent_bug_fixed_first_waits_for_its_dependency(bank, make_agent):
    problem = bank.get("toy-debug-max-index")
    agent = make_agent(problem, scripted())
    only_b2 = problem.buggy_code.replace("best = nums[i]", "best = i")
    turns, state = _run(agent, ["I changed line 5", "and line 3"], codes={0: only_b2, 1: problem.fixed_code})
    assert turns[0].resolved_bugs == ["b2"] and turns[0].assessment.label == "partially_correct"
    assert turns[0].plan.current == "b1.fix"
    assert turns[0].plan.node("b2").status == "done"
    assert turns[1].solved and state.plan.done


def test_multi_bug_problem_is_worked_in_order(multi_bug, make_agent):
    code = multi_bug.buggy_code
    fix_syntax = code.replace("def add(a, b)\n", "def add(a, b):\n")
    fix_double = fix_syntax.replace("x + x + 1", "x + x")
    model = scripted({"judge": [{"identifies_the_bug": True, "reason": "ok"}]})
    agent = make_agent(multi_bug, model)
    turns, state = _run(
        agent,
        ["one too many is added in double", "fixed the colon", "fixed double", "all done"],
        codes={1: fix_syntax, 2: fix_double, 3: multi_bug.fixed_code},
    )
    assert [t.plan.current for t in turns] == ["double.fix", "double.fix", "square.understand", None]
    assert turns[1].resolved_bugs == ["syntax"] and turns[1].assessment.label == "partially_correct"
    assert turns[2].resolved_bugs == ["double"] and turns[2].assessment.label == "correct"
    assert turns[3].solved and state.solved


def test_a_fixed_bugs_code_may_be_quoted_afterwards(bank, make_agent):
    problem = bank.get("toy-debug-max-index")
    reply = "Yes, `for i in range(1, len(nums)):` compiles now. What does line 5 store in best?"
    agent = make_agent(problem, scripted({"reply": [reply]}))
    (turn,), _ = _run(agent, ["added the colon"], codes={0: problem.buggy_code.replace("len(nums))", "len(nums)):")})
    assert turn.resolved_bugs == ["b1"]
    assert turn.reply.endswith(reply) and turn.leak.attempts == [], turn.leak.attempts


def test_the_fixed_line_of_an_open_bug_is_never_shown(bank, make_agent):
    problem = bank.get("toy-debug-max-index")
    agent = make_agent(problem, scripted({"reply": ["Just write best = i on line 5."]}))
    (turn,), _ = _run(agent, ["added the colon"], codes={0: problem.buggy_code.replace("len(nums))", "len(nums)):")})
    assert turn.leak.fallback_used
    assert "best = i" not in turn.reply


def test_the_history_window_keeps_the_prompt_prefix_stable_between_turns(bank, make_agent):
    model = scripted()
    agent = make_agent(bank.get("toy-math-pencils"), model, history_turns=2)
    _run(agent, ["hi"] * 10)
    firsts = [str(call[1].content) for call in model.calls]  # the first message after the system prompt
    changes = sum(a != b for a, b in zip(firsts, firsts[1:], strict=False))
    # A window sliding every turn would change it on every turn once full; this one every other turn.
    assert changes <= 5
    assert all(len(call) <= 1 + 4 + 1 for call in model.calls), "system + at most 2 turns of history + this turn"
