"""Composing the reply: sentences released as soon as the guard passes them, leaks regenerated then
replaced, code blocks vetted whole, and unreadable output or backend faults never shown."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import jinja2
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.outputs import ChatGenerationChunk

from tutor.compose import (
    Composition,
    ReplyRequest,
    RetryBuilder,
    build_messages,
    garbage_reason,
    render,
    reply_vetter,
    vetted_stream,
)
from tutor.errors import ModelBackendError
from tutor.guard.leak import LeakGuard
from tutor.models.scripted import ScriptedChatModel
from tutor.record import Message

FALLBACK = "What do the 7 pencils cost altogether?"


class WatchedModel(ScriptedChatModel):
    """A scripted model that records how far its stream has got, to see what is released when."""

    produced: list[str] = []

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            self.produced.append(str(chunk.message.content))
            yield chunk


def _retry() -> RetryBuilder:
    return RetryBuilder(
        "system",
        [],
        {
            "student_message": "hi",
            "move_text": "Ask: what?",
            "code_status": "",
            "calculation": "",
            "said": "",
            "feedback": "",
        },
    )


def _stream(
    model: Any, guard: LeakGuard | None, closing: str = "", known: tuple[float, ...] = (), prefix: str = ""
) -> Generator[str, None, Composition]:
    request = ReplyRequest(
        messages=[HumanMessage(content="hi")],
        retry=_retry(),
        fallback=FALLBACK,
        prefix=prefix,
        closing_question=closing,
    )
    return vetted_stream(model, request, reply_vetter(guard, None, known))


def _compose(
    model: Any, guard: LeakGuard | None, closing: str = "", known: tuple[float, ...] = (), prefix: str = ""
) -> tuple[list[str], Composition]:
    stream = _stream(model, guard, closing, known, prefix)
    pieces: list[str] = []
    while True:
        try:
            pieces.append(next(stream))
        except StopIteration as done:
            return pieces, done.value


def test_each_sentence_is_released_before_the_model_has_finished(bank):
    model = WatchedModel(replies=["Good try. Could seven pencils cost only $7.40? Think about it."])
    model.produced = []
    stream = _stream(model, LeakGuard(bank.get("toy-math-pencils")), known=(7.4,))
    first = next(stream)
    assert first == "Good try. "
    assert "it." not in "".join(model.produced), "the first sentence went out while the model was still writing"
    rest = list(stream)
    assert "".join([first, *rest]) == "Good try. Could seven pencils cost only $7.40? Think about it."


def test_a_clean_reply_makes_one_call_and_passes(bank):
    pieces, out = _compose(
        ScriptedChatModel(replies=["Nice work! What comes next?"]), LeakGuard(bank.get("toy-math-pencils"))
    )
    assert "".join(pieces) == out.text == "Nice work! What comes next?"
    assert [c.purpose for c in out.calls] == ["reply"]
    assert out.verdict.passed and out.verdict.attempts == [] and not out.verdict.fallback_used
    assert out.calls[0].first_token_s is not None and out.calls[0].output_tokens > 0


def test_a_leaking_draft_is_regenerated_with_the_reason_as_feedback(bank):
    model = ScriptedChatModel(replies=["She gets $2.20 back.", "Good effort! What does she pay with?"])
    pieces, out = _compose(model, LeakGuard(bank.get("toy-math-pencils")))
    assert out.text == "Good effort! What does she pay with?"
    assert [c.purpose for c in out.calls] == ["reply", "reply-regenerate"]
    assert len(out.verdict.attempts) == 1 and not out.verdict.fallback_used
    assert "states the final answer" in out.verdict.attempts[0].reasons[0]
    assert "REWRITE NEEDED" in str(model.calls[1][-1].content)
    assert "$2.20" not in "".join(pieces)


def test_leaking_every_time_ends_in_the_fallback_after_the_bound(bank):
    model = ScriptedChatModel(replies=["It's $2.20.", "Two dollars twenty.", "11/5 dollars, that's it."])
    pieces, out = _compose(model, LeakGuard(bank.get("toy-math-pencils")))
    assert pieces == [FALLBACK] and out.text == FALLBACK
    assert len(out.calls) == 3 and len(out.verdict.attempts) == 3
    assert out.verdict.fallback_used and out.verdict.passed


def test_a_leak_after_a_released_sentence_is_completed_by_the_fallback(bank):
    model = ScriptedChatModel(replies=["Good thinking so far. The change is $2.20."])
    pieces, out = _compose(model, LeakGuard(bank.get("toy-math-pencils")))
    assert pieces == ["Good thinking so far. ", FALLBACK]
    assert out.text == f"Good thinking so far. {FALLBACK}"
    assert out.verdict.fallback_used and len(out.calls) == 1


def test_a_code_block_is_held_and_vetted_whole(bank):
    problem = bank.get("toy-debug-count-vowels")
    leak = (
        "Compare with this:\n```python\ndef count_vowels(word):\n    count = 0\n"
        "    for ch in word.lower():\n        pass\n```\nSee?"
    )
    pieces, out = _compose(ScriptedChatModel(replies=[leak]), LeakGuard(problem))
    assert "def count_vowels" not in "".join(pieces), "no half of a code block reaches the student"
    assert out.verdict.fallback_used


def test_a_reply_without_a_question_gets_the_scaffold_question(bank):
    pieces, out = _compose(
        ScriptedChatModel(replies=["Nice work."]),
        LeakGuard(bank.get("toy-math-pencils")),
        closing="What next?",
    )
    assert out.text == "Nice work. What next?"
    assert pieces[-1] == " What next?"


def test_speaker_labels_and_special_tokens_are_removed_and_the_students_part_cut(bank):
    model = ScriptedChatModel(replies=["Tutor: Good start.<|im_end|> What next?\nStudent: I don't know"])
    _, out = _compose(model, LeakGuard(bank.get("toy-math-pencils")))
    assert out.text == "Good start. What next?"


@pytest.mark.parametrize(
    "garbage",
    ["\x00\x00garbage{{{", '{"identifies_the_bug": true}', "#### $$ %% @@ ^^ && ** ((", "", "...", "   "],
)
def test_unreadable_output_never_reaches_the_student(bank, garbage):
    pieces, out = _compose(ScriptedChatModel(replies=[garbage]), LeakGuard(bank.get("toy-math-pencils")))
    assert out.text == FALLBACK and pieces == [FALLBACK]
    assert out.verdict.fallback_used


def test_a_backend_fault_falls_back_at_once_without_retrying(bank):
    model = ScriptedChatModel(replies=[ModelBackendError("the server timed out")])
    pieces, out = _compose(model, LeakGuard(bank.get("toy-math-pencils")))
    assert pieces == [FALLBACK]
    assert [(c.ok, c.error) for c in out.calls] == [(False, "the server timed out")]
    assert out.verdict.attempts[0].reasons == ["model failed: the server timed out"]


def test_an_unexpected_exception_is_a_fault_too(bank):
    _, out = _compose(ScriptedChatModel(replies=[KeyError("boom")]), LeakGuard(bank.get("toy-math-pencils")))
    assert out.text == FALLBACK
    assert out.calls[0].ok is False and "KeyError" in (out.calls[0].error or "")


def test_without_a_guard_anything_readable_passes(bank):
    _, out = _compose(ScriptedChatModel(replies=["She gets $2.20 back."]), None)
    assert out.text == "She gets $2.20 back." and out.verdict.passed and not out.verdict.fallback_used


def test_garbage_reason():
    assert garbage_reason("Good try! What do you get?") is None
    assert garbage_reason("7 × 0.40 = ?") is None
    assert garbage_reason("مرحبا، ماذا تعتقد؟") is None
    assert garbage_reason("a\x00b") is not None
    assert garbage_reason("[1, 2, 3]") is not None


def test_messages_keep_a_stable_prefix_and_put_the_notes_last():
    history = [Message(role="tutor", content="Hi!"), Message(role="student", content="7.40")]
    messages = build_messages("system text", history, "NOTES")
    assert isinstance(messages[0], SystemMessage)
    assert [m.content for m in messages[1:]] == ["Hi!", "7.40", "NOTES"]


def test_turn_template_is_strict():
    text = render(
        "tutor_turn.jinja",
        student_message="hi",
        move_text="Ask: what?",
        code_status="",
        calculation="",
        said="",
        feedback="",
    )
    assert "TUTOR NOTES: Ask: what?" in text and "REWRITE" not in text
    with pytest.raises(jinja2.UndefinedError):
        render("tutor_turn.jinja", student_message="hi")


def test_the_opening_clause_goes_out_before_its_sentence_ends(bank):
    model = WatchedModel(replies=["Good try, but could seven pencils really cost only $7.40?"])
    model.produced = []
    stream = _stream(model, LeakGuard(bank.get("toy-math-pencils")), known=(7.4,))
    assert next(stream) == "Good try, "
    assert "$7.40?" not in "".join(model.produced)
    assert "".join(stream) == "but could seven pencils really cost only $7.40?"


def test_a_clause_with_a_number_waits_for_its_sentence(bank):
    pieces, _ = _compose(
        ScriptedChatModel(replies=["So 7.40, that is what you think? Let's check."]),
        LeakGuard(bank.get("toy-math-pencils")),
        known=(7.4,),
    )
    assert pieces[0] == "So 7.40, that is what you think? "


def test_a_leak_after_the_opening_clause_continues_it_with_the_fallback(bank):
    pieces, out = _compose(
        ScriptedChatModel(replies=["Sure thing, the change is $2.20."]),
        LeakGuard(bank.get("toy-math-pencils")),
    )
    assert pieces == ["Sure thing, ", "what do the 7 pencils cost altogether?"]
    assert out.text == "Sure thing, what do the 7 pencils cost altogether?"


def test_the_acknowledgement_goes_out_first_and_an_echo_of_it_is_dropped(bank):
    model = WatchedModel(replies=["Not quite yet. What do 7 pencils cost?"])
    model.produced = []
    stream = _stream(model, LeakGuard(bank.get("toy-math-pencils")), prefix="Not quite yet.")
    assert next(stream) == "Not quite yet."
    assert model.produced == [], "the acknowledgement needs no model"
    assert "".join(stream) == " What do 7 pencils cost?"


def test_a_rejected_guiding_part_is_replaced_after_the_acknowledgement(bank):
    model = ScriptedChatModel(replies=["It's $2.20."] * 3)
    pieces, out = _compose(model, LeakGuard(bank.get("toy-math-pencils")), prefix="Hmm, not quite.")
    assert pieces == ["Hmm, not quite.", f" {FALLBACK}"]
    assert out.text == f"Hmm, not quite. {FALLBACK}" and out.verdict.fallback_used and out.verdict.passed


def test_a_refusal_formula_is_rejected_like_a_leak(bank):
    model = ScriptedChatModel(replies=["I'm sorry, but I can't assist with that.", "What do 7 pencils cost?"])
    _, out = _compose(model, LeakGuard(bank.get("toy-math-pencils")))
    assert out.text == "What do 7 pencils cost?"
    assert "refuses" in out.verdict.attempts[0].reasons[0]


def test_passed_is_false_only_when_even_the_fallback_fails_the_checks():
    request = ReplyRequest(messages=[HumanMessage(content="hi")], retry=_retry(), fallback=FALLBACK)
    stream = vetted_stream(ScriptedChatModel(replies=["Hello?"]), request, lambda text: ["always rejected"])
    pieces: list[str] = []
    while True:
        try:
            pieces.append(next(stream))
        except StopIteration as done:
            out = done.value
            break
    assert pieces == [FALLBACK] and out.verdict.fallback_used and not out.verdict.passed


def test_a_draft_that_repeats_the_acknowledgement_after_filler_loses_the_repeat():
    from tutor.compose import _clean

    prefix = "Let's think about that together."
    draft = "Okay, let's think about that together. What do the pencils cost?"
    assert _clean(draft, True, prefix).strip() == "What do the pencils cost?"
    assert _clean("Let's think about that together!", True, prefix).strip() == ""
    kept = "Let's think about the pencils first."  # shares words, does not repeat it
    assert _clean(kept, True, prefix) == kept
    assert _clean(draft, False, prefix) == draft  # only a draft's first piece
    reworded = "Okay, let's think about it together. If the floor is 14 feet long, what is its area?"
    assert _clean(reworded, True, prefix).strip() == "If the floor is 14 feet long, what is its area?"
    solved = "That's it, you've solved the whole problem. Well done!"
    again = "Congratulations! You've solved the whole problem. Well done! Want to try another?"
    assert _clean(again, True, solved).strip() == "Want to try another?"
    assert _clean("Yes, that's right! What next?", True, "Exactly right, good thinking.").strip() == "What next?"


def test_a_tail_cut_by_the_token_limit_is_left_out():
    from tutor.compose import _Draft, _release_tail

    draft = _Draft(
        released="Not quite. The formula for time is distance divided by speed.", buffer=" Now, for the lanes part of"
    )
    assert list(_release_tail(lambda text: [], draft, len("Not quite."), "Not quite.")) == []
    assert draft.rejected is None and draft.released.endswith("speed.")
    whole = _Draft(released="Not quite.", buffer=" Which numbers change")  # all the model wrote: kept
    assert list(_release_tail(lambda text: [], whole, len("Not quite."), "Not quite.")) == [" Which numbers change"]
