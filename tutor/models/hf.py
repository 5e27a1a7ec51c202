"""Hugging Face transformers backend (`hf:REPO_OR_DIR`, `hf:/path/model.gguf`): GPU when present.

torch and transformers are an optional extra (`pip install -e '.[hf]'`); nothing is imported until a
model is built. Structured output here is prompt + validation + bounded retries (transformers has no
built-in grammar-constrained decoding); use `local`/`gguf:` when constrained JSON matters on a small model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata
from pydantic import BaseModel, ConfigDict, PrivateAttr

from tutor.errors import ModelBackendError, ModelUnavailableError
from tutor.models.engine import Completion, EngineChatModel, Part, usage
from tutor.models.messages import to_openai_messages
from tutor.models.structured import json_schema_of


class HFChatModel(EngineChatModel):
    """A transformers causal LM behind the chat-model interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    target: str
    gguf_file: str | None = None
    max_tokens: int = 384
    temperature: float = 0.3
    device: str | None = None
    _loaded: tuple[Any, Any] | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "transformers"

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is not None:
            return self._loaded
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ModelUnavailableError(
                "the hf: backend needs torch and transformers", "pip install -e '.[hf]' (CPU torch) "
            ) from exc
        source, gguf = self.target, self.gguf_file
        if source.endswith(".gguf") and Path(source).is_file():
            source, gguf = str(Path(source).parent), Path(source).name
        local = Path(source).exists()
        kwargs: dict[str, Any] = {"local_files_only": local}
        if gguf:
            kwargs["gguf_file"] = gguf
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            # Any: transformers' decorated `to` is typed as if it took the model itself.
            model: Any = AutoModelForCausalLM.from_pretrained(
                source, torch_dtype=torch.float16 if device == "cuda" else torch.float32, **kwargs
            )
            model = model.to(device)
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot load Hugging Face model '{self.target}': {exc}") from exc
        model.eval()
        self._loaded = (tokenizer, model)
        return self._loaded

    def _inputs(self, messages: list[BaseMessage]) -> tuple[Any, Any, Any]:
        tokenizer, model = self._load()
        ids = tokenizer.apply_chat_template(
            to_openai_messages(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        return tokenizer, model, {k: v.to(model.device) for k, v in ids.items()}

    def _gen_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        temperature = float(kwargs.get("temperature", self.temperature))
        out: dict[str, Any] = {"max_new_tokens": int(kwargs.get("max_tokens", self.max_tokens))}
        out.update({"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False})
        return out

    def _engine_lock(self) -> threading.Lock:
        return self._lock

    def _metadata_model_name(self) -> str:
        return self.target

    def _ending(self, inputs: Any, output: Any, settings: dict[str, Any]) -> tuple[Any, str, UsageMetadata]:
        """The new tokens of a generated sequence, why generation stopped, and the token counts."""
        prompt_len = int(inputs["input_ids"].shape[1])
        new = output[prompt_len:]
        finish = "length" if len(new) >= settings["max_new_tokens"] else "stop"
        return new, finish, usage(prompt_len, len(new))

    def _complete(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Completion:
        tokenizer, model, inputs = self._inputs(messages)
        settings = self._gen_kwargs(options)
        try:
            output = model.generate(**inputs, **settings, pad_token_id=tokenizer.eos_token_id)
        except (RuntimeError, ValueError) as exc:  # ValueError: generation settings transformers refuses
            raise _failed(exc) from exc
        new, finish, used = self._ending(inputs, output[0], settings)
        return Completion(tokenizer.decode(new, skip_special_tokens=True), finish, used)

    def _parts(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Iterator[Part]:
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model, inputs = self._inputs(messages)
        settings = self._gen_kwargs(options)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        gone = threading.Event()  # the reader stopped early: generation stops at its next token
        outcome: list[Any] = []  # generate's return value (for finish reason and token counts) or its error

        def run() -> None:
            try:
                stopping = StoppingCriteriaList([_StopWhenSet(gone)])
                output = model.generate(
                    **inputs,
                    **settings,
                    streamer=streamer,
                    stopping_criteria=stopping,
                    pad_token_id=tokenizer.eos_token_id,
                )
                outcome.append(output)
            except Exception as exc:  # noqa: BLE001 - handed to the reader, who would otherwise wait forever
                outcome.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, name="hf-generate", daemon=True)
        worker.start()
        try:
            for piece in streamer:
                yield Part(piece)
        finally:  # also when the reader stops early: the engine's lock is let go only once generation stopped
            gone.set()
            worker.join()
        if isinstance(outcome[0], (RuntimeError, ValueError)):
            raise _failed(outcome[0]) from outcome[0]
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        _, finish, used = self._ending(inputs, outcome[0][0], settings)
        yield Part("", finish, used)

    def _structured_call(self, schema: type[BaseModel] | dict[str, Any]) -> Callable[[Any], BaseMessage]:
        """transformers has no schema-constrained decoding here: the schema goes into a system message."""
        instruction = SystemMessage(
            content="Reply with ONLY a JSON object (no prose, no code fence) that matches this JSON schema:\n"
            + json.dumps(json_schema_of(schema))
        )

        def call(value: Any) -> BaseMessage:
            messages = self._convert_input(value).to_messages()
            return self.invoke([instruction, *messages])

        return call


def _failed(exc: Exception) -> ModelBackendError:
    return ModelBackendError(f"transformers generation failed: {exc}")


class _StopWhenSet:
    """A transformers stopping criterion: stop every sequence once `event` is set."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)
