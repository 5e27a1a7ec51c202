"""Structured output shared by every backend: validate with pydantic, retry a bounded number of times,
and fail with `ModelOutputError` — never return half-parsed data."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ValidationError

from tutor.errors import ModelOutputError, validation_problem

log = logging.getLogger(__name__)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def json_schema_of(schema: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, dict):
        return schema
    return schema.model_json_schema()


def schema_name(schema: type[BaseModel] | dict[str, Any]) -> str:
    if isinstance(schema, dict):
        return str(schema.get("title", "object"))
    return schema.__name__


def parse_structured(message: BaseMessage | str, schema: type[BaseModel] | dict[str, Any]) -> Any:
    """Parse a model reply into `schema` (a pydantic class or a JSON-schema dict)."""
    text = message if isinstance(message, str) else str(message.content)
    finish = "" if isinstance(message, str) else str(message.response_metadata.get("finish_reason", ""))
    name = schema_name(schema)
    if finish == "length":
        raise ModelOutputError(
            f"the model's {name} was cut off at max_tokens", "raise model.max_tokens or simplify the request", raw=text
        )
    cleaned = _FENCE.sub("", text.strip())
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ModelOutputError(f"the model's reply is not valid JSON for {name}: {exc.msg}", raw=text) from exc
    if isinstance(schema, dict):
        if not isinstance(data, dict):
            raise ModelOutputError(f"the model's reply is not a JSON object for {name}", raw=text)
        return data
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ModelOutputError(f"the model's {name} is invalid: {validation_problem(exc, '(root)')}", raw=text) from exc


def structured_runnable(
    call: Callable[[Any], BaseMessage],
    schema: type[BaseModel] | dict[str, Any],
    *,
    retries: int,
    include_raw: bool = False,
) -> Runnable[Any, Any]:
    """Wrap a model call so that it returns a validated object, retrying on unparseable output."""

    def invoke(value: Any) -> Any:
        last: ModelOutputError | None = None
        for attempt in range(retries + 1):
            message = call(value)
            try:
                parsed = parse_structured(message, schema)
            except ModelOutputError as exc:
                log.info("structured output attempt %d failed: %s", attempt + 1, exc.message)
                last = exc
                continue
            return {"raw": message, "parsed": parsed, "parsing_error": None} if include_raw else parsed
        assert last is not None
        raise last

    return RunnableLambda(invoke, name=f"structured[{schema_name(schema)}]")
