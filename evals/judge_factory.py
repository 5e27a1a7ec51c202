"""A judge from its spec: the learned judge (`learned`, `learned:PATH`) or an LLM judge on any model spec.

Kept apart from `evals.judge` and `evals.learned_judge` because it needs both, and the learned judge builds on
the LLM judge's types: here neither has to import the other in a circle.
"""

from __future__ import annotations

from evals.judge import Judge, JudgeLike, is_learned
from evals.learned_judge import learned_judge_for
from tutor.settings import Settings


def make_judge(spec: str, settings: Settings) -> JudgeLike:
    """The judge a spec names: the learned judge (`learned`, `learned:PATH`) or an LLM judge on a model spec.

    Raises:
        InputDataError: the learned judge has no model and no training data to make one.
    """
    if is_learned(spec):
        return learned_judge_for(spec, settings.cache_dir)
    from tutor.models import get_chat_model  # the model stack is imported only when an LLM judges

    return Judge(get_chat_model(spec, settings.model, cache_dir=settings.cache_dir))
