"""Local model servers as they were measured to answer: llama.cpp's (llama-cpp-python 0.3.x,
``python -m llama_cpp.server``) and Ollama's OpenAI-compatible ``/v1``.

They write the same Korean paragraphs as ``FakeLLM`` (scripts and behaviours work alike); what
differs is what they accept and how they refuse:

- llama.cpp accepts any model name and lists its one model by the GGUF file's path; its
  ``response_format.type`` is ``text`` or ``json_object`` only, and ``json_schema`` is refused
  with HTTP 500 ``internal_server_error`` (not 400); a prompt whose tokens plus ``max_tokens``
  exceed ``n_ctx`` gets 400 ``context_length_exceeded`` with its own message.
- Ollama lists pulled models by tag (``llama3.2:latest``), answers an unknown one with 404
  "not found, try pulling it first", and accepts ``json_object`` and ``json_schema`` alike
  (without OpenAI's strict-schema checks or the word "json").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .llm import FakeLLM, _all_text, openai_error
from .server import Reply

GGUF = "/models/SmolLM2-135M-Instruct-Q8_0.gguf"


def llama_cpp_context_error(window: int, prompt_tokens: int, max_tokens: int) -> Reply:
    """llama-cpp-python's own wording (server/errors.py), which names both parts."""
    return openai_error(
        400,
        f"This model's maximum context length is {window} tokens. However, you requested "
        f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, {max_tokens} "
        "in the completion). Please reduce the length of the messages or completion.",
        param="messages",
        code="context_length_exceeded",
    )


class FakeLlamaCpp(FakeLLM):
    """``n_ctx`` is the server's window (prompt tokens, len(text) // 4, plus ``max_tokens``)."""

    def __init__(self, model_path: str = GGUF, n_ctx: int = 16384) -> None:
        super().__init__(models=(model_path,))
        self.n_ctx = n_ctx
        self.require_json_word = False

    def _list_models(self) -> Reply:
        data = [{"id": m, "object": "model", "owned_by": "me", "permissions": []}
                for m in self.models]  # fmt: skip
        return Reply(200, {"object": "list", "data": data})

    def _get_model(self, model: str) -> Reply:
        return openai_error(404, "Not Found")  # the server has no /v1/models/<id>

    def _reject(self, body: dict[str, Any]) -> Reply | None:
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return openai_error(422, "Field required", type="internal_server_error")
        kind = (body.get("response_format") or {}).get("type")
        if kind not in (None, "text", "json_object"):
            return openai_error(
                500, "Input should be 'text' or 'json_object'", type="internal_server_error"
            )
        prompt_tokens = len(_all_text(body)) // 4
        max_tokens = int(body.get("max_tokens") or 0)
        if prompt_tokens + max_tokens > self.n_ctx:
            return llama_cpp_context_error(self.n_ctx, prompt_tokens, max_tokens)
        return None


class FakeOllama(FakeLLM):
    def __init__(self, models: Sequence[str] = ("llama3.2:latest", "qwen2.5:7b")) -> None:
        super().__init__(models=models)
        self.require_json_word = False

    def _list_models(self) -> Reply:
        data = [{"id": m, "object": "model", "created": 1733097600, "owned_by": "library"}
                for m in self.models]  # fmt: skip
        return Reply(200, {"object": "list", "data": data})

    def _reject(self, body: dict[str, Any]) -> Reply | None:
        model = body.get("model")
        if model not in self.models:
            return openai_error(
                404, f'model "{model}" not found, try pulling it first', type="api_error"
            )
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return openai_error(400, "invalid message format", type="api_error")
        return None

