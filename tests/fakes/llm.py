"""A fake OpenAI-compatible server: `GET /v1/models[/<id>]` and `POST /v1/chat/completions`.

By default it answers like a well-behaved model: a JSON object with one Korean paragraph per
property the request's `response_format` asks for, derived from the paper's `Title:` line, so
the same request always gets the same reply and different papers get different text.

It checks what OpenAI checks (bearer key, model id, strict-schema rules, the word "json" in
json_object mode) and answers errors in OpenAI's error shape, so the SDK raises the same
exceptions it raises against the real API. Tests make a given paper misbehave with
`script_for(substring, *behaviours)`.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Any

from .server import FakeServer, JSONBody, RecordedRequest, Reply

CHAT = "/v1/chat/completions"
MODELS = "/v1/models"
SECTIONS = ("whats_new", "technical_details", "performance_highlights")
"""The keys of a json_object reply, or of any request without a json_schema."""
CREATED = 1718064000  # a fixed timestamp: identical requests must get identical replies


class Behaviour(StrEnum):
    OK = "ok"
    MALFORMED = "malformed"  # content is not valid JSON
    ENGLISH = "english"  # valid JSON, English-only sections
    CJK = "cjk"  # Korean with hanja and Japanese kana leaking in
    MARKDOWN = "markdown"  # headings, bullets, line breaks inside sections
    EMPTY = "empty"  # the last section is ""
    LENGTH = "length"  # content cut mid-JSON, finish_reason "length"
    REFUSAL = "refusal"  # message.refusal set, content null
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After and retry-after-ms
    SERVER_ERROR = "server_error"  # 500
    STALL = "stall"  # answers ok after `stall_seconds`, past the client's timeout
    CONTEXT_LENGTH = "context_length"  # 400 context_length_exceeded
    HTML = "html"  # Korean sections carrying <script> and <img onerror=...>


def openai_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error in the shape OpenAI (and compatible servers) send it."""
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return Reply(status, body, headers or {})


# ---- The Korean text a good model writes -------------------------------------------------------

_OPENERS = {
    "whats_new": (
        "이 논문({t})은 기존 방법의 한계를 보완하는 새로운 학습 전략을 제안합니다.",
        "이 논문({t})은 대규모 모델의 효율 문제를 정면으로 다루는 새로운 프레임워크를 소개합니다.",
        "이 연구({t})는 적은 데이터로도 안정적으로 동작하는 접근법을 체계적으로 정리합니다.",
        "이 논문({t})은 서로 다른 과제를 하나의 모델로 통합하는 간결한 방법을 제시합니다.",
    ),
    "technical_details": (
        "제안 방법은 Transformer 인코더 위에 가벼운 "
        "어댑터 계층을 더해 입력 표현을 단계적으로 정제합니다.",
        "핵심 구조는 두 단계로 이루어지며, 먼저 거친 "
        "표현을 만든 뒤 attention 모듈로 세부 정보를 보강합니다.",
        "저자들은 contrastive 학습 목표와 재구성 손실을 함께 사용해 표현의 일관성을 높입니다.",
        "모델은 입력을 {k}개의 토큰으로 압축한 뒤 디코더가 이를 다시 복원하도록 학습됩니다.",
    ),
    "performance_highlights": (
        "실험 결과 제안 방법은 기존 baseline 대비 평균 {p}%p 높은 정확도를 기록합니다.",
        "주요 벤치마크에서 제안 방법은 최신 기법과 비슷한 성능을 내면서도 연산량을 {p}% 줄입니다.",
        "제안 방법은 {n}개 데이터셋 가운데 대부분에서 가장 좋은 성능을 달성합니다.",
        "정량 평가에서 제안 방법은 비교 대상 모델들보다 일관되게 높은 점수를 얻습니다.",
    ),
}
_FOLLOWUPS = {
    "whats_new": (
        "저자들은 핵심 아이디어를 단순한 모듈로 구현해 "
        "기존 파이프라인에 쉽게 붙일 수 있도록 설계했습니다.",
        "특히 추가 학습 비용 없이 성능을 끌어올릴 수 있다는 점을 실험으로 보여 줍니다.",
        "제안 방법은 {n}개의 벤치마크에서 일관된 개선을 보이며 재현 가능한 코드도 함께 공개합니다.",
        "이를 통해 연구자들이 더 적은 자원으로도 경쟁력 있는 결과를 얻을 수 있는 길을 엽니다.",
    ),
    "technical_details": (
        "학습은 {m}단계의 커리큘럼으로 진행되며, 단계마다 데이터의 난이도를 점진적으로 높입니다.",
        "추론 시에는 불필요한 계산을 건너뛰는 조기 종료 규칙을 적용해 지연 시간을 줄입니다.",
        "구현은 공개된 사전학습 가중치에서 시작하므로 추가 자원 부담이 크지 않습니다.",
        "하이퍼파라미터 민감도 분석도 함께 제시해 설정 선택의 근거를 설명합니다.",
    ),
    "performance_highlights": (
        "특히 데이터가 적은 환경에서 개선 폭이 더 크게 나타나 실용적인 가치가 높습니다.",
        "ablation 실험을 통해 각 구성 요소가 성능 향상에 기여한다는 점도 확인합니다.",
        "다만 매우 긴 입력에서는 이점이 줄어든다는 한계도 함께 보고합니다.",
        "추론 속도 역시 {s}배 빨라져 실제 서비스에 적용하기 좋습니다.",
    ),
}
_ENGLISH = (
    "This paper ({t}) proposes a new training strategy that addresses the limits of prior work.",
    "The method adds a light adapter on top of a Transformer encoder and refines its inputs.",
    "Experiments show consistent gains over strong baselines on {n} public benchmarks.",
)
_MIN_CHARS = 130  # a section shorter than ~120 characters says too little to be useful
_TITLE_CHARS = 28  # the English title inside a Korean paragraph stays a short minority of it


def _short_title(title: str) -> str:
    """The title up to its colon, cut at a word boundary to keep the paragraph mostly Hangul."""
    head = " ".join(title.split(":")[0].split())
    if len(head) <= _TITLE_CHARS:
        return head
    return head[: _TITLE_CHARS + 1].rsplit(" ", 1)[0]


def _rng(seed: str, section: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{section}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _fill(template: str, rng: random.Random, title: str) -> str:
    text = template.format(
        t=title,
        k=rng.choice((32, 64, 128)),
        p=rng.randint(2, 9),
        n=rng.randint(3, 12),
        m=rng.randint(2, 4),
        s=rng.randint(2, 5),
    )
    # Without a title, "이 논문()은" would read oddly.
    return text.replace(" ()", "").replace("()", "")


def korean_paragraph(seed: str, section: str, title: str = "") -> str:
    """One 합니다체 paragraph (120-250 chars, one line, no markdown) for a section of a paper."""
    rng = _rng(seed, section)
    openers = _OPENERS.get(section) or _OPENERS["whats_new"]
    followups = list(_FOLLOWUPS.get(section) or _FOLLOWUPS["whats_new"])
    rng.shuffle(followups)
    text = _fill(rng.choice(openers), rng, _short_title(title))
    for sentence in followups:
        if len(text) >= _MIN_CHARS and sentence is not followups[0]:
            break
        text += " " + _fill(sentence, rng, _short_title(title))
    return text


def summary_for(title: str, keys: Sequence[str] = SECTIONS) -> dict[str, str]:
    """What the fake answers, by default, for a paper with this title."""
    return {key: korean_paragraph(title, key, title) for key in keys}


def _english(seed: str, title: str) -> str:
    rng = _rng(seed, "english")
    return " ".join(_fill(s, rng, _short_title(title)) for s in _ENGLISH)


def _leak_cjk(text: str) -> str:
    # What multilingual models do under pressure: hanja for Sino-Korean words, then Japanese.
    leaked = text.replace("방법", "方法").replace("학습", "學習").replace("제안", "提案")
    first, _, rest = leaked.partition(". ")
    return f"{first}. この手法は新しい視点を与えます。 {rest}".strip()


def _markdown(text: str) -> str:
    bullets = "\n".join(f"- **{s.strip()}**" for s in text.split(". ") if s.strip())
    return f"### 핵심 내용\n\n{bullets}\n"


def _html(text: str) -> str:
    # What a model echoes from a paper with injected markup, or a proxy rewriting a reply.
    first, _, rest = text.partition(". ")
    return f'{first} <script>alert(1)</script><img src=x onerror="alert(2)">. {rest}'.strip()


# ---- The server --------------------------------------------------------------------------------


class FakeLLM(FakeServer):
    """Attributes tests may set at any time: `api_key` (None accepts any key), `models`,
    `supports_json_schema`, `require_json_word`, `latency`, `stall_seconds`, `retry_after_s`,
    `context_window` (prompt tokens, len(text) // 4, above which it answers
    context_length_exceeded; None = unlimited)."""

    def __init__(self, models: Sequence[str] = ("gpt-4.1-mini",)) -> None:
        super().__init__()
        self.models: list[str] = list(models)
        self.listed_models: list[str] | None = None
        """What `GET /v1/models` lists, when it differs from what chat accepts (aliases)."""
        self.api_key: str | None = None
        self.supports_json_schema = True
        self.require_json_word = True
        """OpenAI rejects json_object mode unless a message says "json"; llama.cpp does not."""
        self.latency = 0.0
        self.stall_seconds = 5.0
        self.retry_after_s = 1.0
        self.context_window: int | None = None
        self._by_text: list[tuple[str, deque[Behaviour | Reply]]] = []
        self._always: list[tuple[tuple[str, ...], Behaviour]] = []
        self._responders: list[Callable[[str], dict[str, Any] | None]] = []

    # -- test API

    def script_for(self, substring: str, *behaviours: Behaviour | str | Reply) -> None:
        """The next chat requests whose messages contain `substring` get `behaviours`, in order.

        Only requests the server accepts (key, model, response_format) use up a behaviour.
        """
        parsed = [b if isinstance(b, Reply) else Behaviour(b) for b in behaviours]
        with self._lock:
            for text, queue in self._by_text:
                if text == substring:
                    queue.extend(parsed)
                    return
            self._by_text.append((substring, deque(parsed)))

    def always_for(self, behaviour: Behaviour | str, *substrings: str) -> None:
        """Every chat request whose messages contain all of `substrings` gets `behaviour`, for
        as long as the server runs (re-asks included): a prompt version that always answers in
        English, say. One-off `script_for` behaviours come first."""
        with self._lock:
            self._always.append((substrings, Behaviour(behaviour)))

    def respond_with(self, responder: Callable[[str], dict[str, Any] | None]) -> None:
        """`responder(text of all messages)` returns the JSON object to answer with, or None to
        answer as usual: for requests that are not summaries (a pairwise judge, say)."""
        with self._lock:
            self._responders.append(responder)

    @property
    def calls(self) -> int:
        """Chat completion requests received, scripted or not."""
        return self.count(CHAT, method="POST")

    def chat_bodies(self) -> list[Any]:
        """The JSON bodies of the chat requests, in order."""
        return [r.json for r in self.requests if r.path == CHAT and r.method == "POST"]

    # -- routing

    def handle(self, request: RecordedRequest) -> Reply:
        denied = self._check_key(request)
        if denied is not None:
            return denied
        if request.method == "GET" and request.path == MODELS:
            return self._list_models()
        if request.method == "GET" and request.path.startswith(MODELS + "/"):
            return self._get_model(request.path[len(MODELS) + 1 :])
        if request.method == "POST" and request.path == CHAT:
            return self._chat(request)
        return openai_error(404, f"Invalid URL ({request.method} {request.path})")

    def _check_key(self, request: RecordedRequest) -> Reply | None:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if self.api_key is None or sent == self.api_key:
            return None
        return openai_error(
            401,
            f"Incorrect API key provided: {sent[:3]}***. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )

    def _list_models(self) -> Reply:
        listed = self.models if self.listed_models is None else self.listed_models
        return Reply(200, {"object": "list", "data": [_model(m) for m in listed]})

    def _get_model(self, model: str) -> Reply:
        return Reply(200, _model(model)) if model in self.models else _model_not_found(model)

    # -- chat completions

    def _chat(self, request: RecordedRequest) -> Reply:
        body = request.json
        if not isinstance(body, dict):
            return openai_error(400, "We could not parse the JSON body of your request.")
        return self.answer(body)

    def answer(self, body: dict[str, Any]) -> Reply:
        """The reply to one chat request body (also each line of a batch); streamed as
        server-sent chunks when the request asks for ``stream``."""
        reply = self._answer(body)
        return streamed(reply, body) if body.get("stream") else reply

    def _answer(self, body: dict[str, Any]) -> Reply:
        rejected = self._reject(body)
        if rejected is not None:
            return rejected
        answer = self._responder_answer(_all_text(body))
        if answer is not None:
            return Reply(200, _completion(body, Behaviour.OK, len(_all_text(body)) // 4, answer))
        behaviour = self._next_behaviour(_all_text(body)) or Behaviour.OK
        if isinstance(behaviour, Reply):
            return behaviour
        return self._behave(behaviour, body)

    def _reject(self, body: dict[str, Any]) -> Reply | None:
        """What the real server refuses before any generation: the same for every attempt."""
        model = body.get("model")
        if not model:
            return openai_error(400, "you must provide a model parameter", param="model")
        if model not in self.models:
            return _model_not_found(str(model))
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return openai_error(400, "'messages' must be a non-empty array.", param="messages")
        return self._reject_format(body)

    def _reject_format(self, body: dict[str, Any]) -> Reply | None:
        fmt = body.get("response_format") or {}
        kind = fmt.get("type")
        if kind == "json_schema" and not self.supports_json_schema:
            return openai_error(
                400, "response_format type json_schema is not supported", param="response_format"
            )
        if kind == "json_schema":
            return _check_strict_schema(fmt.get("json_schema") or {})
        needs_word = kind == "json_object" and self.require_json_word
        if needs_word and "json" not in _all_text(body).lower():
            return openai_error(
                400,
                "'messages' must contain the word 'json' in some form, to use "
                "'response_format' of type 'json_object'.",
                param="messages",
            )
        return None

    def _next_behaviour(self, text: str) -> Behaviour | Reply | None:
        with self._lock:
            for substring, queue in self._by_text:
                if queue and substring in text:
                    return queue.popleft()
            for substrings, behaviour in self._always:
                if all(s in text for s in substrings):
                    return behaviour
        return None

    def _responder_answer(self, text: str) -> str | None:
        with self._lock:
            responders = list(self._responders)
        for responder in responders:
            answer = responder(text)
            if answer is not None:
                return json.dumps(answer, ensure_ascii=False)
        return None

    def _behave(self, behaviour: Behaviour, body: dict[str, Any]) -> Reply:
        prompt_tokens = len(_all_text(body)) // 4
        if behaviour is Behaviour.CONTEXT_LENGTH or (
            self.context_window is not None and prompt_tokens > self.context_window
        ):
            return _context_length(self.context_window or 128_000, prompt_tokens)
        if behaviour is Behaviour.RATE_LIMIT:
            return self._rate_limited(str(body["model"]))
        if behaviour is Behaviour.SERVER_ERROR:
            return openai_error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                type="server_error",
            )
        reply = _completion(body, behaviour, prompt_tokens)
        delay = self.stall_seconds if behaviour is Behaviour.STALL else self.latency
        return Reply(200, reply, _request_id(body), delay=delay)

    def _rate_limited(self, model: str) -> Reply:
        seconds = self.retry_after_s
        return openai_error(
            429,
            f"Rate limit reached for {model} in organization org-fake on requests per min "
            f"(RPM): Limit 500, Used 500, Requested 1. Please try again in {seconds:g}s.",
            type="requests",
            code="rate_limit_exceeded",
            headers={
                "Retry-After": str(max(1, round(seconds))),
                "retry-after-ms": str(int(seconds * 1000)),
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": "0",
            },
        )


# ---- Reply bodies ------------------------------------------------------------------------------


def streamed(reply: Reply, request: dict[str, Any], pieces: int = 4) -> Reply:
    """A chat completion as OpenAI streams it: a role chunk, the content in ``pieces``, a
    finish chunk, the usage chunk when ``stream_options.include_usage`` asks for it, [DONE].
    Anything that is not a chat completion (an error, a proxy's page) goes out as it is."""
    body = reply.body
    if reply.status != 200 or not isinstance(body, dict) or body.get("object") != "chat.completion":
        return reply
    head = {k: body[k] for k in ("id", "created", "model") if k in body}
    head["object"] = "chat.completion.chunk"
    chunks: list[dict[str, Any]] = []
    for choice in body["choices"]:
        message = choice.get("message") or {}
        chunks.append({**head, "choices": [{"index": 0, "delta": {"role": "assistant"}}]})
        text = message.get("content") or ""
        step = max(1, len(text) // pieces)
        for start in range(0, len(text), step):
            delta = {"content": text[start : start + step]}
            chunks.append({**head, "choices": [{"index": 0, "delta": delta}]})
        if message.get("refusal"):
            delta = {"refusal": message["refusal"]}
            chunks.append({**head, "choices": [{"index": 0, "delta": delta}]})
        end = {"index": 0, "delta": {}, "finish_reason": choice.get("finish_reason")}
        chunks.append({**head, "choices": [end]})
    if (request.get("stream_options") or {}).get("include_usage") and "usage" in body:
        chunks.append({**head, "choices": [], "usage": body["usage"]})
    events = "".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks)
    return replace(
        reply,
        body=events + "data: [DONE]\n\n",
        headers={**reply.headers, "Content-Type": "text/event-stream; charset=utf-8"},
    )


def summary_reply(sections: dict[str, str], model: str = "gpt-4.1-mini") -> Reply:
    """A well-formed answer whose content is exactly ``sections``: for tests that need a
    particular summary (a number the paper does not state, another paper's summary)."""
    content = json.dumps(sections, ensure_ascii=False)
    body = {
        "id": "chatcmpl-" + hashlib.sha256(content.encode()).hexdigest()[:29],
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": len(content) // 4,
                  "total_tokens": 100 + len(content) // 4},
    }  # fmt: skip
    return Reply(200, body)


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1686935002, "owned_by": "system"}


def _model_not_found(model: str) -> Reply:
    return openai_error(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def _context_length(window: int, tokens: int) -> Reply:
    return openai_error(
        400,
        f"This model's maximum context length is {window} tokens. However, your messages "
        f"resulted in {max(tokens, window + 1)} tokens. Please reduce the length of the messages.",
        param="messages",
        code="context_length_exceeded",
    )


def _check_strict_schema(spec: dict[str, Any]) -> Reply | None:
    """OpenAI's strict mode: every object closes extra properties and requires all of them."""
    if not spec.get("strict"):
        return None
    problem = _strict_problem(spec.get("schema") or {}, "()")
    if problem is None:
        return None
    name = spec.get("name", "")
    return openai_error(
        400, f"Invalid schema for response_format '{name}': {problem}", param="response_format"
    )


def _strict_problem(schema: dict[str, Any], context: str) -> str | None:
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            return (
                f"In context={context}, 'additionalProperties' is required to be supplied "
                "and to be false."
            )
        missing = [k for k in schema.get("properties", {}) if k not in schema.get("required", [])]
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an "
                f"array including every key in properties. Missing '{missing[0]}'."
            )
    children = {**schema.get("properties", {}), **schema.get("$defs", {})}
    for key, child in children.items():
        if isinstance(child, dict):
            problem = _strict_problem(child, f"('properties', '{key}')")
            if problem is not None:
                return problem
    return None


def _message_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _all_text(body: dict[str, Any]) -> str:
    return "\n".join(_message_text(m) for m in body.get("messages", []))


def _title_and_seed(body: dict[str, Any]) -> tuple[str, str]:
    """The paper's `Title:` line, searched from the latest user message back (a re-ask's
    feedback message has none, and the model still knows which paper it is writing about);
    without one, a hash of the last user message."""
    users = [m for m in body["messages"] if isinstance(m, dict) and m.get("role") == "user"]
    for message in reversed(users):
        for line in _message_text(message).splitlines():
            if line.strip().startswith("Title:"):
                title = line.strip().removeprefix("Title:").strip()
                return title, title
    last = _message_text(users[-1]) if users else _all_text(body)
    return "", hashlib.sha256(last.encode()).hexdigest()


def _section_keys(body: dict[str, Any]) -> list[str]:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        properties = ((fmt.get("json_schema") or {}).get("schema") or {}).get("properties")
        if isinstance(properties, dict) and properties:
            return list(properties)
    return list(SECTIONS)


def _sections(behaviour: Behaviour, keys: list[str], seed: str, title: str) -> dict[str, str]:
    if behaviour is Behaviour.ENGLISH:
        return {k: _english(seed + k, title) for k in keys}
    sections = {k: korean_paragraph(seed, k, title) for k in keys}
    if behaviour is Behaviour.CJK:
        return {k: _leak_cjk(v) for k, v in sections.items()}
    if behaviour is Behaviour.MARKDOWN:
        return {k: _markdown(v) for k, v in sections.items()}
    if behaviour is Behaviour.EMPTY:
        return {**sections, keys[-1]: ""}
    if behaviour is Behaviour.HTML:
        return {k: _html(v) for k, v in sections.items()}
    return sections


def _content(behaviour: Behaviour, body: dict[str, Any]) -> str:
    title, seed = _title_and_seed(body)
    sections = _sections(behaviour, _section_keys(body), seed, title)
    text = json.dumps(sections, ensure_ascii=False)
    if behaviour is Behaviour.MALFORMED:
        # A model that forgot a comma between two members: not JSON by any lenient reading.
        head, sep, tail = text.rpartition('", "')
        return head + '" "' + tail if sep else text[:-1]
    if behaviour is Behaviour.LENGTH:
        return text[: len(text) * 3 // 5]
    return text


def _completion(
    body: dict[str, Any], behaviour: Behaviour, prompt_tokens: int, content: str | None = None
) -> JSONBody:
    refusal = "I'm sorry, but I can't help with that request."
    if content is None and behaviour is not Behaviour.REFUSAL:
        content = _content(behaviour, body)
    completion_tokens = len(content or refusal) // 4
    return {
        "id": "chatcmpl-" + _digest(body)[:29],
        "object": "chat.completion",
        "created": CREATED,
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": refusal if content is None else None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "length" if behaviour is Behaviour.LENGTH else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _request_id(body: dict[str, Any]) -> dict[str, str]:
    return {"x-request-id": "req_" + _digest(body)[:32]}
