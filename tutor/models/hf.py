"""Hugging Face transformers backend (`hf:REPO_OR_DIR`, `hf:/path/model.gguf`): GPU when present.

torch and transformers are an optional extra (`pip install -e '.[hf]'`); nothing is imported until a
model is built. Structured output here is prompt + validation + bounded retries (transformers has no
built-in grammar-constrained decoding); use `local`/`gguf:` when constrained JSON matters on a small model.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ConfigDict, PrivateAttr

from tutor.errors import ModelBackendError, ModelUnavailableError
from tutor.models.messages import to_openai_messages
from tutor.models.structured import json_schema_of, structured_runnable


class HFChatModel(BaseChatModel):
    """A transformers causal LM behind the chat-model interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    target: str
    gguf_file: str | None = None
    max_tokens: int = 384
    temperature: float = 0.3
    max_retries: int = 2
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

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        start = time.perf_counter()
        with self._lock:
            tokenizer, model, inputs = self._inputs(messages)
            try:
                output = model.generate(**inputs, **self._gen_kwargs(kwargs), pad_token_id=tokenizer.eos_token_id)
            except RuntimeError as exc:
                raise ModelBackendError(f"transformers generation failed: {exc}") from exc
        prompt_len = inputs["input_ids"].shape[1]
        new = output[0][prompt_len:]
        text = tokenizer.decode(new, skip_special_tokens=True)
        finish = "length" if len(new) >= self._gen_kwargs(kwargs)["max_new_tokens"] else "stop"
        message = AIMessage(
            content=text,
            response_metadata={
                "finish_reason": finish,
                "model_name": self.target,
                "latency_s": time.perf_counter() - start,
            },
            usage_metadata={
                "input_tokens": int(prompt_len),
                "output_tokens": len(new),
                "total_tokens": int(prompt_len) + len(new),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import TextIteratorStreamer

        with self._lock:
            tokenizer, model, inputs = self._inputs(messages)
            streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
            worker = threading.Thread(
                target=model.generate,
                kwargs={
                    **inputs,
                    **self._gen_kwargs(kwargs),
                    "streamer": streamer,
                    "pad_token_id": tokenizer.eos_token_id,
                },
                daemon=True,
            )
            worker.start()
            for piece in streamer:
                if piece:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                    if run_manager:
                        run_manager.on_llm_new_token(piece, chunk=chunk)
                    yield chunk
            worker.join()

    def with_structured_output(  # type: ignore[override]
        self, schema: type[BaseModel] | dict[str, Any], *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[Any, Any]:
        instruction = SystemMessage(
            content="Reply with ONLY a JSON object (no prose, no code fence) that matches this JSON schema:\n"
            + json.dumps(json_schema_of(schema))
        )

        def call(value: Any) -> BaseMessage:
            messages = self._convert_input(value).to_messages()
            return self.invoke([instruction, *messages])

        return structured_runnable(call, schema, retries=self.max_retries, include_raw=include_raw)
