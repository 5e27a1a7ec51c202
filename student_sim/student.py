"""The simulated student: a participant with the tutor's shape, `step(tutor_message, state)`.

    student = StudentSimulator(problem, profile)                     # rule-based
    student = StudentSimulator(problem, profile, policy="llm", model=get_chat_model("local"))
    state = student.start(seed=7)
    turn, state = student.step(tutor_text, state, screen=Screen(failing_tests=("test_three",)))

The student receives what a real student receives: the tutor's words and, for debugging, its own screen
(the test results of its own program). It never sees the tutor's record, labels, plan or assessment. Both
policies share the cognitive model (`student_sim.cognition`): it decides what the student knows and does;
the policy only decides who words it.
"""

from __future__ import annotations

import random

from langchain_core.language_models import BaseChatModel

from student_sim.cognition import CognitiveModel
from student_sim.profiles import StudentProfile
from student_sim.reading import Screen
from student_sim.state import Policy, StudentState, StudentTurn, VoiceRecord
from student_sim.voice_llm import LLMVoice
from student_sim.voice_rules import render
from tutor.errors import ConfigError
from tutor.problems.schema import AnyProblem, DebuggingProblem
from tutor.record import Message


class StudentSimulator:
    """A simulated student on one problem.

    Args:
        problem: the problem the student works on.
        profile: who the student is.
        policy: `rules` (templates) or `llm` (a chat model words the cognitive model's decisions).
        model: the chat model for the `llm` policy.
        max_voice_retries: drafts the LLM voice may retry before the rule wording replaces them.
    """

    def __init__(
        self,
        problem: AnyProblem,
        profile: StudentProfile,
        *,
        policy: Policy = "rules",
        model: BaseChatModel | None = None,
        max_voice_retries: int = 2,
    ) -> None:
        if policy == "llm" and model is None:
            raise ConfigError("the llm student policy needs a model", "pass model=, or use policy='rules'")
        self.problem = problem
        self.profile = profile
        self.policy: Policy = policy
        self.cognition = CognitiveModel(problem, profile)
        self.voice = LLMVoice(model, max_retries=max_voice_retries) if policy == "llm" and model else None

    def start(self, seed: int) -> StudentState:
        """The student's state before the tutor's first message."""
        return self.cognition.initial_state(seed)

    def step(
        self, tutor_text: str, state: StudentState, *, screen: Screen | None = None
    ) -> tuple[StudentTurn, StudentState]:
        """Read the tutor's message, learn from it, decide, and say something.

        Args:
            tutor_text: the tutor's words, exactly as a student would read them.
            state: the student's state before this message.
            screen: what the student's own screen shows (debugging: its program's test results).
        """
        if not isinstance(tutor_text, str):
            raise TypeError("the simulated student reads the tutor's text only, not a turn record")
        reading = self.cognition.read(tutor_text, state)
        state, learned = self.cognition.learn(reading, state)
        decision = self.cognition.decide(reading, state, screen)
        rng = random.Random(f"{state.seed}:{state.turn}:voice")
        debugging = isinstance(self.problem, DebuggingProblem)
        text = render(decision.intent, self.profile, rng, debugging=debugging)
        record = VoiceRecord(policy="rules")
        if self.voice is not None:
            spoken = self.voice.speak(
                decision.intent,
                problem=self.problem,
                profile=self.profile,
                state=state,
                tutor_text=tutor_text,
                fallback=text,
            )
            text, record = spoken.text, spoken.record
        turn = StudentTurn(
            index=state.turn,
            text=text,
            code=decision.code,
            intent=decision.intent,
            learned=learned,
            voice=record,
        )
        history = [
            *state.history,
            Message(role="tutor", content=tutor_text),
            Message(role="student", content=text),
        ]
        return turn, decision.state.model_copy(update={"history": history})
