"""The fakes behave as the real services do, as seen by real clients.

urllib for raw HTTP and the HF API, the `arxiv` package for the Atom feed, the `openai` SDK for
the LLM server. If a fake drifts from its service, these fail before the pipeline tests lie.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.message import Message
from typing import Any

import arxiv
import openai
import pytest

from tests.fakes.arxiv import FakeArxiv, html_error_page
from tests.fakes.hf import FakeHF, hf_entry
from tests.fakes.llm import CHAT, SECTIONS, FakeLLM, openai_error, summary_for
from tests.fakes.server import FakeServer, Reply, rate_limited, server_error, stall

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ARXIV_NS = "{http://arxiv.org/schemas/atom}"
TITLE = "An Image is Worth 32 Tokens for Reconstruction and Generation"

# No proxy from the environment may sit between a test and 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Got:
    """A finished HTTP exchange, error statuses included."""

    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(
    url: str,
    *,
    data: bytes | None = None,
    timeout: float = 5,
    headers: dict[str, str] | None = None,
) -> Got:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Got(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        return Got(err.code, err.headers, err.read())


# ---- the shared server -------------------------------------------------------------------------


@pytest.fixture
def bare() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


def test_scripted_replies_come_in_order_then_the_default_resumes(bare: FakeServer) -> None:
    bare.script("/a", Reply(201, "first"), Reply(202, "second"))
    assert fetch(bare.url + "/b").status == 404  # other paths are untouched
    assert [fetch(bare.url + "/a/x").body for _ in range(3)] == [
        b"first",
        b"second",
        b'{"error": "no route for GET /a/x"}',
    ]
    assert bare.scripted_left() == 0


def test_the_longest_scripted_prefix_answers_first(bare: FakeServer) -> None:
    bare.script("/pdf/", Reply(500))
    bare.script("/pdf/2406.00001", Reply(502))
    assert [fetch(bare.url + "/pdf/2406.00001v1").status for _ in range(3)] == [502, 500, 404]


def test_requests_are_recorded_with_query_headers_and_json(bare: FakeServer) -> None:
    fetch(bare.url + "/api/x?date=2024-06-11&p=2", data=b'{"a": 1}', headers={"X-Probe": "yes"})
    fetch(bare.url + "/other")
    first = bare.requests[0]
    assert (first.method, first.path, first.query) == (
        "POST",
        "/api/x",
        {"date": "2024-06-11", "p": "2"},
    )
    assert first.headers["x-probe"] == "yes"
    assert (first.body, first.json, first.target) == (
        b'{"a": 1}',
        {"a": 1},
        "/api/x?date=2024-06-11&p=2",
    )
    assert bare.requests[1].json is None
    assert (bare.count("/api"), bare.count("/"), bare.count("/", method="GET")) == (1, 2, 1)


def test_concurrent_requests_each_take_exactly_one_scripted_reply(bare: FakeServer) -> None:
    bare.script("/n", *(Reply(200, str(i)) for i in range(24)))
    bodies: list[bytes] = []

    def get() -> None:
        bodies.append(fetch(bare.url + "/n").body)

    threads = [threading.Thread(target=get) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(bodies, key=int) == [str(i).encode() for i in range(24)]


def test_close_early_sends_headers_then_hangs_up(bare: FakeServer) -> None:
    bare.script("/f", Reply(200, b"x" * 1000, close_early=True, close_after=10))
    with pytest.raises(http.client.IncompleteRead) as caught:
        _OPENER.open(bare.url + "/f", timeout=5).read()
    assert caught.value.partial == b"x" * 10


def test_a_delayed_reply_arrives_late_and_stop_interrupts_a_stall() -> None:
    server = FakeServer().start()
    server.script("/slow", stall(0.3, Reply(200, "late")))
    started = time.monotonic()
    assert fetch(server.url + "/slow").body == b"late"
    assert time.monotonic() - started >= 0.3

    server.script("/slow", stall(20))
    with pytest.raises(TimeoutError):
        fetch(server.url + "/slow", timeout=0.2)
    handler_name = "fake-handler-" + server.url.rsplit(":", 1)[1]
    server.stop()  # returns although a handler is still inside its 20 s stall
    assert not [t for t in threading.enumerate() if t.name == handler_name]
    assert server.count("/slow") == 2  # recorded on arrival, before the stall


# ---- Hugging Face ------------------------------------------------------------------------------


def _entries(n: int) -> list[dict[str, Any]]:
    return [
        hf_entry(f"2406.{i:05d}", f"Paper {i}", 10 + i, ["Ada Lovelace"], "Abstract.")
        for i in range(n)
    ]


def _ids(got: Got) -> list[str]:
    return [e["paper"]["id"] for e in got.json()]


def test_hf_pages_by_p_and_limit(fake_hf: FakeHF) -> None:
    fake_hf.set_day("2024-06-11", _entries(5))
    url = fake_hf.url + "/api/daily_papers?date=2024-06-11&limit=2&p="
    pages = [_ids(fetch(url + str(p))) for p in range(4)]
    assert pages == [
        ["2406.00000", "2406.00001"],
        ["2406.00002", "2406.00003"],
        ["2406.00004"],
        [],
    ]


def test_hf_default_limit_is_50_and_unknown_days_are_empty(fake_hf: FakeHF) -> None:
    fake_hf.set_day("2024-06-11", _entries(60))
    url = fake_hf.url + "/api/daily_papers?date="
    assert len(fetch(url + "2024-06-11").json()) == 50
    assert len(fetch(url + "2024-06-11&p=1").json()) == 10
    empty = fetch(url + "2024-06-12")
    assert (empty.status, empty.json(), empty.headers["Content-Type"]) == (
        200,
        [],
        "application/json",
    )
    assert fetch(url + "June-11").status == 400


def test_hf_entries_have_the_real_shape_with_fields_we_do_not_use(fake_hf: FakeHF) -> None:
    entry = hf_entry(
        "2406.07550",
        "An Image is Worth 32 Tokens\n  for Reconstruction",
        52,
        ["Qihang Yu", "Mark Weber"],
        "We propose TiTok.",
        comments=2,
    )
    fake_hf.set_day("2024-06-11", [entry])
    (got,) = fetch(fake_hf.url + "/api/daily_papers?date=2024-06-11").json()
    paper = got["paper"]
    assert (paper["id"], paper["upvotes"], paper["summary"]) == (
        "2406.07550",
        52,
        "We propose TiTok.",
    )
    assert [a["name"] for a in paper["authors"]] == ["Qihang Yu", "Mark Weber"]
    assert {"_id", "hidden", "user"} <= paper["authors"][0].keys()
    assert {"ai_summary", "ai_keywords", "discussionId", "publishedAt"} <= paper.keys()
    assert got["thumbnail"].endswith("/social-thumbnails/papers/2406.07550.png")
    assert got["submittedBy"]["avatarUrl"].startswith("/avatars/")
    assert (got["numComments"], got["isAuthorParticipating"]) == (2, False)


def test_hf_entry_takes_explicit_thumbnail_and_avatar() -> None:
    entry = hf_entry(
        "2406.1", "T", 1, [], "A", thumbnail="https://t/x.png", avatar="https://a/y.png"
    )
    assert (entry["thumbnail"], entry["submittedBy"]["avatarUrl"]) == (
        "https://t/x.png",
        "https://a/y.png",
    )


def test_hf_scripted_rate_limit_and_server_error(fake_hf: FakeHF) -> None:
    fake_hf.set_day("2024-06-11", _entries(1))
    fake_hf.script("/api/daily_papers", Reply(429, headers={"Retry-After": "1"}), Reply(500))
    url = fake_hf.url + "/api/daily_papers?date=2024-06-11"
    limited, failed, ok = fetch(url), fetch(url), fetch(url)
    assert (limited.status, limited.headers["Retry-After"]) == (429, "1")
    assert (failed.status, ok.status, _ids(ok)) == (500, 200, ["2406.00000"])
    assert fake_hf.count("/api/daily_papers") == 3


# ---- arXiv -------------------------------------------------------------------------------------


def _arxiv_client(fake: FakeArxiv, **kwargs: Any) -> arxiv.Client:
    client = arxiv.Client(delay_seconds=0, **{"num_retries": 0, **kwargs})
    client.query_url_format = fake.url + "/api/query?{}"
    return client


def _search(fake: FakeArxiv, ids: list[str], **kwargs: Any) -> list[arxiv.Result]:
    return list(_arxiv_client(fake, **kwargs).results(arxiv.Search(id_list=ids)))


def test_arxiv_package_reads_the_feed(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_paper("2406.07550", PDF, title=TITLE, authors=["Qihang Yu", "Mark Weber"])
    fake_arxiv.add_paper("2406.00002", PDF, version=3, abstract=" ".join(["word"] * 60))
    first, second = _search(fake_arxiv, ["2406.07550", "2406.99999", "2406.00002"])
    assert first.entry_id == "http://arxiv.org/abs/2406.07550v1"
    assert (first.get_short_id(), first.title) == ("2406.07550v1", TITLE)
    assert first.pdf_url == fake_arxiv.url + "/pdf/2406.07550v1"
    assert [a.name for a in first.authors] == ["Qihang Yu", "Mark Weber"]
    assert (first.primary_category, first.categories) == ("cs.CL", ["cs.CL"])
    assert second.get_short_id() == "2406.00002v3"
    # Like arXiv, abstracts come wrapped, indented and newline-terminated: clients must normalise.
    assert second.summary.startswith("  word") and second.summary.endswith("\n")
    assert " ".join(second.summary.split()) == " ".join(["word"] * 60)


def test_arxiv_feed_pages_by_start_and_max_results(fake_arxiv: FakeArxiv) -> None:
    ids = [f"2406.0000{i}" for i in range(5)]
    for arxiv_id in ids:
        fake_arxiv.add_paper(arxiv_id, PDF)
    results = _search(fake_arxiv, ids, page_size=2)
    assert [r.get_short_id() for r in results] == [f"{i}v1" for i in ids]
    queries = fake_arxiv.api_queries()
    assert [(q["start"], q["max_results"]) for q in queries] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert queries[0]["id_list"] == ",".join(ids)


def test_arxiv_raw_feed_uses_the_api_namespaces(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_paper("2406.07550", PDF, title=TITLE)
    got = fetch(fake_arxiv.url + "/api/query?id_list=2406.07550,2406.99999&start=0&max_results=10")
    assert got.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(got.body)
    assert feed.tag == ATOM + "feed"
    counts = [feed.findtext(OPENSEARCH + t) for t in ("totalResults", "startIndex", "itemsPerPage")]
    assert counts == ["1", "0", "10"]
    (entry,) = feed.findall(ATOM + "entry")
    assert "\n  " in (entry.findtext(ATOM + "title") or "")  # long titles wrap, as on arXiv
    links = {link.get("rel"): link.attrib for link in entry.findall(ATOM + "link")}
    assert links["alternate"]["href"] == "http://arxiv.org/abs/2406.07550v1"
    assert (links["related"]["title"], links["related"]["type"]) == ("pdf", "application/pdf")
    assert entry.find(ARXIV_NS + "primary_category") is not None


def test_arxiv_versioned_ids(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_paper("2406.00001", PDF, version=2)
    assert [r.get_short_id() for r in _search(fake_arxiv, ["2406.00001v1"])] == ["2406.00001v1"]
    assert _search(fake_arxiv, ["2406.00001v3"]) == []


def test_arxiv_malformed_id_is_a_400_error_feed(fake_arxiv: FakeArxiv) -> None:
    got = fetch(fake_arxiv.url + "/api/query?id_list=not-an-id")
    assert got.status == 400 and b"incorrect id format for not-an-id" in got.body
    with pytest.raises(arxiv.HTTPError) as caught:
        _search(fake_arxiv, ["not-an-id"])
    assert caught.value.status == 400


def test_arxiv_client_retry_sends_the_same_query_again(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_paper("2406.00001", PDF)
    fake_arxiv.script("/api/query", server_error())
    assert len(_search(fake_arxiv, ["2406.00001"], num_retries=1)) == 1
    first, second = fake_arxiv.api_queries()
    assert first == second


def test_pdf_is_served_by_versioned_and_bare_id(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_paper("2406.00001", PDF, version=2)
    got = fetch(fake_arxiv.pdf_url("2406.00001"))
    assert (got.status, got.headers["Content-Type"], got.body) == (200, "application/pdf", PDF)
    assert fake_arxiv.pdf_path("2406.00001") == "/pdf/2406.00001v2"
    assert fetch(fake_arxiv.url + "/pdf/2406.00001").body == PDF
    missing = fetch(fake_arxiv.url + "/pdf/2406.00001v3")
    assert (missing.status, missing.headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert fake_arxiv.pdf_downloads() == ["2406.00001v2", "2406.00001", "2406.00001v3"]


def test_pdf_scripted_failures_then_the_real_pdf(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_paper("2406.00001", PDF)
    path = fake_arxiv.pdf_path("2406.00001")
    fake_arxiv.script(
        path,
        rate_limited(1),
        server_error(),
        html_error_page(),
        fake_arxiv.truncated_pdf("2406.00001"),
        fake_arxiv.cut_pdf("2406.00001"),
    )
    url = fake_arxiv.url + path
    limited, failed, html, truncated = (fetch(url) for _ in range(4))
    assert (limited.status, limited.headers["Retry-After"], failed.status) == (429, "1", 500)
    assert (html.status, html.body[:15]) == (200, b"<!DOCTYPE html>")
    assert (truncated.status, truncated.body) == (200, PDF[: len(PDF) // 2])
    assert truncated.headers["Content-Length"] == str(len(PDF) // 2)
    with pytest.raises(http.client.IncompleteRead):
        fetch(url)
    assert fetch(url).body == PDF
    assert fake_arxiv.pdf_downloads() == ["2406.00001v1"] * 6


def test_pdf_stall_outlasts_a_client_timeout(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_paper("2406.00001", PDF)
    fake_arxiv.script(fake_arxiv.pdf_path("2406.00001"), stall(5))
    with pytest.raises(TimeoutError):
        fetch(fake_arxiv.pdf_url("2406.00001"), timeout=0.2)


# ---- the LLM -----------------------------------------------------------------------------------

STRICT_SCHEMA: Any = {
    "type": "json_schema",
    "json_schema": {
        "name": "summary",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {k: {"type": "string"} for k in SECTIONS},
            "required": list(SECTIONS),
            "additionalProperties": False,
        },
    },
}
JSON_OBJECT: Any = {"type": "json_object"}


@pytest.fixture
def client(fake_llm: FakeLLM) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake_llm.url + "/v1", api_key="k", max_retries=0) as client:
        yield client


def messages(title: str = TITLE, body: str = "Abstract: We compress images.") -> list[Any]:
    return [
        {"role": "system", "content": "Summarise the paper in Korean as JSON."},
        {"role": "user", "content": f"Paper 2406.07550\nTitle: {title}\n{body}"},
    ]


def ask(client: openai.OpenAI, title: str = TITLE, fmt: Any = STRICT_SCHEMA, **kw: Any) -> Any:
    return client.chat.completions.create(
        model="gpt-4.1-mini", messages=messages(title), response_format=fmt, **kw
    )


def is_clean_korean(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    hangul = sum("가" <= c <= "힣" for c in letters)
    return (
        120 <= len(text) <= 250
        and text.endswith("다.")
        and not any(mark in text for mark in ("\n", "#", "*", "`", "- "))
        and hangul >= 0.6 * len(letters)
    )


def test_llm_lists_its_models_and_404s_others(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.models = ["gpt-4.1-mini", "qwen3-8b"]
    assert [m.id for m in client.models.list()] == ["gpt-4.1-mini", "qwen3-8b"]
    assert client.models.retrieve("qwen3-8b").id == "qwen3-8b"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-5")
    assert (caught.value.code, caught.value.type) == ("model_not_found", "invalid_request_error")


def test_llm_default_reply_is_clean_korean_json(client: openai.OpenAI) -> None:
    completion = ask(client)
    choice = completion.choices[0]
    assert (choice.finish_reason, choice.message.refusal, completion.object) == (
        "stop",
        None,
        "chat.completion",
    )
    sections = json.loads(choice.message.content or "")
    assert list(sections) == list(SECTIONS)
    assert all(is_clean_korean(v) for v in sections.values()), sections
    assert "An Image is Worth 32 Tokens" in sections["whats_new"]
    assert sections == summary_for(TITLE)


def test_llm_replies_are_reproducible_and_differ_by_paper(client: openai.OpenAI) -> None:
    first, again, other = ask(client), ask(client), ask(client, title="Scaling Video Diffusion")
    assert first.model_dump() == again.model_dump()
    other_sections = json.loads(other.choices[0].message.content or "")
    first_sections = json.loads(first.choices[0].message.content or "")
    assert other_sections["whats_new"] != first_sections["whats_new"]


def test_llm_without_title_seeds_from_the_message(client: openai.OpenAI) -> None:
    def reply(text: str) -> str:
        completion = client.chat.completions.create(
            model="gpt-4.1-mini",
            messages=[{"role": "user", "content": text}],
            response_format=JSON_OBJECT,
        )
        return completion.choices[0].message.content or ""

    one, two = reply("json please: paper A"), reply("json please: paper B")
    assert one != two and one == reply("json please: paper A")
    assert all(is_clean_korean(v) for v in json.loads(one).values())


def test_llm_keys_follow_the_schema_or_default_for_json_object(client: openai.OpenAI) -> None:
    schema = json.loads(json.dumps(STRICT_SCHEMA))
    schema["json_schema"]["schema"]["properties"] = {"headline": {"type": "string"}}
    schema["json_schema"]["schema"]["required"] = ["headline"]
    headline = json.loads(ask(client, fmt=schema).choices[0].message.content or "")
    default = json.loads(ask(client, fmt=JSON_OBJECT).choices[0].message.content or "")
    assert (list(headline), list(default)) == (["headline"], list(SECTIONS))
    assert is_clean_korean(headline["headline"])


def test_llm_usage_counts_are_derived_from_lengths(client: openai.OpenAI) -> None:
    completion = ask(client)
    prompt = "\n".join(m["content"] for m in messages())
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens == len(prompt) // 4
    assert usage.completion_tokens == len(completion.choices[0].message.content or "") // 4
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_llm_checks_the_api_key(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.api_key = "secret"
    with pytest.raises(openai.AuthenticationError) as caught:
        ask(client)
    assert caught.value.code == "invalid_api_key"
    with openai.OpenAI(base_url=fake_llm.url + "/v1", api_key="secret", max_retries=0) as good:
        assert ask(good).choices[0].message.content


def test_llm_unknown_model_is_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-9", messages=messages())
    assert caught.value.code == "model_not_found"


def test_llm_enforces_openai_rules_on_response_format(client: openai.OpenAI) -> None:
    loose = json.loads(json.dumps(STRICT_SCHEMA))
    del loose["json_schema"]["schema"]["additionalProperties"]
    with pytest.raises(openai.BadRequestError, match="additionalProperties"):
        ask(client, fmt=loose)
    with pytest.raises(openai.BadRequestError, match="must contain the word 'json'"):
        client.chat.completions.create(
            model="gpt-4.1-mini",
            messages=[{"role": "user", "content": "Title: X"}],
            response_format=JSON_OBJECT,
        )


def test_llm_without_json_schema_support(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.supports_json_schema = False
    fake_llm.script_for(TITLE, "english")
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client)
    assert caught.value.param == "response_format"
    assert "json_schema is not supported" in caught.value.message
    # The rejected request did not use up the scripted behaviour: the fallback gets it.
    content = json.loads(ask(client, fmt=JSON_OBJECT).choices[0].message.content or "")
    assert list(content) == list(SECTIONS) and not is_clean_korean(content["whats_new"])


def _has_cjk(text: str) -> bool:
    return any("一" <= c <= "鿿" for c in text) and any("ぁ" <= c <= "ヿ" for c in text)


CONTENT_CHECKS: dict[str, Any] = {
    "english": lambda s: all(v.isascii() and v.endswith(".") for v in s.values()),
    "cjk": lambda s: all(_has_cjk(v) and "니다" in v for v in s.values()),
    "markdown": lambda s: all("\n- " in v and v.startswith("###") for v in s.values()),
    "empty": lambda s: s["performance_highlights"] == "" and all(list(s.values())[:2]),
}


@pytest.mark.parametrize("behaviour", sorted(CONTENT_CHECKS))
def test_llm_scripted_bad_content(behaviour: str, client: openai.OpenAI, fake_llm: FakeLLM) -> None:
    fake_llm.script_for(TITLE, behaviour)
    sections = json.loads(ask(client).choices[0].message.content or "")
    assert list(sections) == list(SECTIONS)
    assert CONTENT_CHECKS[behaviour](sections), sections
    assert json.loads(ask(client).choices[0].message.content or "") == summary_for(TITLE)


def test_llm_malformed_and_cut_replies_are_not_json(
    fake_llm: FakeLLM, client: openai.OpenAI
) -> None:
    fake_llm.script_for(TITLE, "malformed", "length")
    malformed, cut = ask(client), ask(client)
    for completion in (malformed, cut):
        with pytest.raises(json.JSONDecodeError):
            json.loads(completion.choices[0].message.content or "")
    assert (malformed.choices[0].finish_reason, cut.choices[0].finish_reason) == ("stop", "length")
    assert (cut.choices[0].message.content or "").startswith('{"whats_new": "')


def test_llm_refusal(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script_for(TITLE, "refusal")
    message = ask(client).choices[0].message
    assert message.content is None and "can't help" in (message.refusal or "")


def test_llm_rate_limit_carries_retry_after(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script_for(TITLE, "rate_limit")
    with pytest.raises(openai.RateLimitError) as caught:
        ask(client)
    headers = caught.value.response.headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("1", "1000")
    assert caught.value.code == "rate_limit_exceeded"


def test_llm_server_error_and_context_length(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script_for(TITLE, "server_error", "context_length")
    with pytest.raises(openai.InternalServerError):
        ask(client)
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client)
    assert caught.value.code == "context_length_exceeded"
    fake_llm.context_window = 10  # a long prompt now fails on its own, unscripted
    with pytest.raises(openai.BadRequestError, match="maximum context length is 10 tokens"):
        ask(client)


def test_llm_stall_outlasts_the_client_timeout(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script_for(TITLE, "stall")
    with pytest.raises(openai.APITimeoutError):
        ask(client, timeout=0.3)
    assert fake_llm.calls == 1


def test_llm_script_for_targets_one_paper(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script_for("2406.07550", openai_error(503, "overloaded", type="server_error"))
    fake_llm.script_for("Other Paper", "server_error")
    with pytest.raises(openai.InternalServerError) as caught:
        ask(client)  # messages() mentions 2406.07550
    assert caught.value.status_code == 503
    assert ask(client).choices[0].message.content  # script used up: default again
    with pytest.raises(openai.InternalServerError):
        ask(client, title="Other Paper")
    assert fake_llm.calls == 3 and fake_llm.scripted_left() == 0
    with pytest.raises(ValueError):
        fake_llm.script_for("x", "teapot")


def test_llm_path_script_answers_before_any_check(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(CHAT, Reply(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"}))
    with pytest.raises(openai.InternalServerError) as caught:
        ask(client)
    assert caught.value.status_code == 502
    assert fake_llm.chat_bodies()[0]["response_format"] == STRICT_SCHEMA


def test_llm_sdk_retries_honour_retry_after_ms(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # the SDK's own retry sleep
    fake_llm.retry_after_s = 0.01
    fake_llm.script_for(TITLE, "rate_limit", "rate_limit")
    with openai.OpenAI(base_url=fake_llm.url + "/v1", api_key="k", max_retries=2) as client:
        assert ask(client).choices[0].message.content
    assert fake_llm.calls == 3
    assert waits == [0.01, 0.01]  # retry-after-ms, not the whole-second Retry-After


async def test_llm_serves_many_requests_at_once(fake_llm: FakeLLM) -> None:
    fake_llm.latency = 0.4
    client = openai.AsyncOpenAI(base_url=fake_llm.url + "/v1", api_key="k", max_retries=0)
    async with client:
        replies = await asyncio.gather(
            *(
                client.chat.completions.create(
                    model="gpt-4.1-mini",
                    messages=messages(f"Paper {i}"),
                    response_format=JSON_OBJECT,
                )
                for i in range(24)
            )
        )
    assert fake_llm.max_in_flight > 1  # answered side by side, not one at a time
    assert len({r.choices[0].message.content for r in replies}) == 24
