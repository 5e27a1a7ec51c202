"""Conversions between LangChain messages and the OpenAI-style dicts local engines take."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "chat": "user"}


def to_openai_messages(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    """Flatten LangChain messages to `{role, content}` dicts (text content only)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        content = message.content
        if isinstance(content, list):  # multi-part content: keep the text parts
            content = "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
        out.append({"role": _ROLES.get(message.type, "user"), "content": content})
    return out
