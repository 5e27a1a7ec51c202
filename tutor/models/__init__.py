"""The one model seam: `get_chat_model(spec)` turns a spec string into a LangChain chat model."""

from tutor.models.factory import get_chat_model, model_for_role
from tutor.models.spec import ModelSpec, parse_spec

__all__ = ["ModelSpec", "get_chat_model", "model_for_role", "parse_spec"]
