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


class UnparseableOutputError(ModelOutputError):
    """The reply did not parse or validate: the one failure that another attempt may cure (a server's
    malformed response, also a `ModelOutputError`, is not retried)."""


def parse_structured(message: BaseMessage | str, schema: type[BaseModel] | dict[str, Any]) -> Any:
    """Parse a model reply into `schema` (a pydantic class or a JSON-schema dict)."""
    text = message if isinstance(message, str) else str(message.content)
    finish = "" if isinstance(message, str) else str(message.response_metadata.get("finish_reason", ""))
    name = schema_name(schema)
    if finish == "length":
        raise UnparseableOutputError(
            f"the model's {name} was cut off at max_tokens", "raise model.max_tokens or simplify the request", raw=text
        )
    cleaned = _FENCE.sub("", text.strip())
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise UnparseableOutputError(f"the model's reply is not valid JSON for {name}: {exc.msg}", raw=text) from exc
    if isinstance(schema, dict):
        if not isinstance(data, dict):
            raise UnparseableOutputError(f"the model's reply is not a JSON object for {name}", raw=text)
        return data
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problem = validation_problem(exc, "(root)")
        raise UnparseableOutputError(f"the model's {name} is invalid: {problem}", raw=text) from exc


def structured_runnable(
    call: Callable[[Any], BaseMessage],
    schema: type[BaseModel] | dict[str, Any],
    *,
    retries: int,
    include_raw: bool = False,
) -> Runnable[Any, Any]:
    """Wrap a model call so that it returns a validated object, retrying on unparseable output.

    The retries are LangChain's (`with_retry`, no wait between attempts: a new sample is what helps, not
    time); after the last attempt the last parse error is raised.
    """

    def attempt(value: Any) -> Any:
        message = call(value)
        try:
            parsed = parse_structured(message, schema)
        except UnparseableOutputError as exc:
            log.info("structured output attempt failed: %s", exc.message)
            raise
        return {"raw": message, "parsed": parsed, "parsing_error": None} if include_raw else parsed

    return RunnableLambda(attempt, name=f"structured[{schema_name(schema)}]").with_retry(
        retry_if_exception_type=(UnparseableOutputError,),
        wait_exponential_jitter=False,
        stop_after_attempt=retries + 1,
    )
