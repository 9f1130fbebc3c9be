"""The review app over HTTP (Starlette's TestClient): pages, the JSON API, and its guards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.review.app import ReviewApp, create_app
from pipeline.review.editorial import Editorial
from pipeline.review.security import Guard, hash_token
from pipeline.store import Store
from tests.fakes.llm import summary_reply
from tests.review_world import DAY, ENGLISH, KOREAN_EDIT, PAPERS, night_world
from tests.world import DATE, World

ORIGIN = "http://testserver"
FIRST = "2406.20001"


def make_client(
    world: World, token: str | None = None, hosts: tuple[str, ...] = ("testserver",)
) -> tuple[TestClient, Editorial, Guard]:
    editorial = Editorial(Store(world.data))
    editorial.import_day(DAY)
    guard = Guard.for_bind("testserver", 80, hash_token(token) if token else None)
    guard = Guard(frozenset(hosts), guard.token_hash)
    settings = Settings(data_dir=world.data, **{"OPENAI_BASE_URL": world.llm.url + "/v1"})
    app = create_app(ReviewApp(editorial, settings, "tester", guard))
    return TestClient(app), editorial, guard


@pytest.fixture
def reviewed(world: World) -> World:
    return night_world(world)


@pytest.fixture
def client(reviewed: World) -> Iterator[tuple[TestClient, Editorial, Guard]]:
    made = make_client(reviewed)
    yield made
    made[1].close()


def post(client: TestClient, guard: Guard, url: str, body: object, **headers: str) -> object:
    sent = {"Origin": ORIGIN, "X-CSRF-Token": guard.csrf_token, **headers}
    return client.post(url, json=body, headers=sent)


def test_day_list_and_day_view_show_every_paper_with_source_and_provenance(
    client: tuple[TestClient, Editorial, Guard],
) -> None:
    http, _, guard = client
    home = http.get("/")
    assert home.status_code == 200 and f"/day/{DATE}" in home.text
    page = http.get(f"/day/{DATE}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    html = page.text
    assert html.index("2406.20001") < html.index("2406.20003") < html.index("2406.20002")
    assert "summarize@v2" in html and "gpt-4.1-mini" in html and "tokens" in html
    assert "https://arxiv.org/abs/2406.20001" in html and "Abstract" in html
    assert f'content="{guard.csrf_token}"' in html
    assert "<script>" not in html  # the only script is the served file


def test_edit_conflict_and_refusal_over_the_api(
    client: tuple[TestClient, Editorial, Guard],
) -> None:
    http, editorial, guard = client
    url = f"/api/{DATE}/{FIRST}/edit"
    ok = post(http, guard, url, {"base": 1, "sections": {"whats_new": KOREAN_EDIT}})
    assert ok.status_code == 200 and ok.json()["paper"]["revision"] == 2  # type: ignore[attr-defined]
    stale = post(http, guard, url, {"base": 1, "sections": {"whats_new": "다른 문장입니다."}})
    assert stale.status_code == 409  # type: ignore[attr-defined]
    body = stale.json()  # type: ignore[attr-defined]
    assert body["theirs"]["whats_new"] == KOREAN_EDIT
    assert body["yours"]["whats_new"] == "다른 문장입니다."
    english = post(http, guard, url, {"base": 2, "sections": {"whats_new": ENGLISH}})
    assert english.status_code == 422  # type: ignore[attr-defined]
    assert english.json()["error"] == f"paper {FIRST}: edit refused, nothing saved"  # type: ignore[attr-defined]
    assert "What's New is not written in Korean" in english.json()["problems"][0]  # type: ignore[attr-defined]
    assert editorial.paper(DAY, FIRST).current == 2


def test_publish_is_refused_until_every_paper_is_decided_then_matches_the_golden_file(
    client: tuple[TestClient, Editorial, Guard], reviewed: World
) -> None:
    http, _, guard = client
    refused = post(http, guard, f"/api/{DATE}/publish", {})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert len(refused.json()["problems"]) == 3  # type: ignore[attr-defined]
    for arxiv_id in ("2406.20001", "2406.20003"):
        assert post(http, guard, f"/api/{DATE}/{arxiv_id}/approve", {"base": 1}).status_code == 200  # type: ignore[attr-defined]
    one_left = post(http, guard, f"/api/{DATE}/publish", {})
    assert "2406.20002" in one_left.json()["problems"][0]  # type: ignore[attr-defined]
    excluded = post(http, guard, f"/api/{DATE}/2406.20002/exclude", {"base": 1, "reason": "중복"})
    assert excluded.json()["paper"]["state"] == "excluded"  # type: ignore[attr-defined]
    published = post(http, guard, f"/api/{DATE}/publish", {})
    assert published.json()["version"] == 1  # type: ignore[attr-defined]
    text = (reviewed.day / "published.md").read_text(encoding="utf-8")
    golden = Path(__file__).parent / "golden" / "published_2024-06-13.md"
    if __import__("os").environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert "2406.20002" not in text and "2406.20002" in reviewed.digest()
    again = post(http, guard, f"/api/{DATE}/publish", {})
    assert again.json()["unchanged"] is True  # type: ignore[attr-defined]
    edit = {"base": 1, "sections": {"whats_new": KOREAN_EDIT}}
    post(http, guard, f"/api/{DATE}/{FIRST}/edit", edit)
    post(http, guard, f"/api/{DATE}/{FIRST}/approve", {"base": 2})
    second = post(http, guard, f"/api/{DATE}/publish", {})
    assert second.json()["version"] == 2  # type: ignore[attr-defined]
    assert (reviewed.day / "published.v1.md").read_text(encoding="utf-8") == text
    assert KOREAN_EDIT in (reviewed.day / "published.md").read_text(encoding="utf-8")
    assert '"version": 2' in (reviewed.day / "published.json").read_text(encoding="utf-8")


def test_cross_site_and_tokenless_posts_are_refused_and_change_nothing(
    client: tuple[TestClient, Editorial, Guard],
) -> None:
    http, editorial, guard = client
    url = f"/api/{DATE}/{FIRST}/approve"
    attempts = [
        {"Origin": "https://evil.example", "X-CSRF-Token": guard.csrf_token},
        {"X-CSRF-Token": guard.csrf_token},  # no Origin at all
        {"Origin": ORIGIN},  # no CSRF token
        {"Origin": ORIGIN, "X-CSRF-Token": "guessed"},
    ]
    for headers in attempts:
        answer = http.post(url, json={"base": 1}, headers=headers)
        assert answer.status_code == 403, headers
    form = http.post(url, data={"base": "1"}, headers={"Origin": "https://evil.example"})
    assert form.status_code == 403
    assert editorial.paper(DAY, FIRST).state.value == "draft"


def test_a_foreign_host_header_is_refused(client: tuple[TestClient, Editorial, Guard]) -> None:
    http, _, _ = client
    assert http.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert http.get("/", headers={"Host": "attacker.example:8765"}).status_code == 400


def test_bind_guard_allows_loopback_names_with_the_port() -> None:
    guard = Guard.for_bind("127.0.0.1", 8765, None)
    assert {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"} <= guard.allowed_hosts
    assert "evil.example:8765" not in guard.allowed_hosts


def test_non_loopback_needs_the_access_token(reviewed: World) -> None:
    http, editorial, _ = make_client(reviewed, token="s3cret")
    assert http.get(f"/day/{DATE}").status_code == 401
    assert http.get("/?token=wrong").status_code == 401
    login = http.get("/?token=s3cret", follow_redirects=False)
    assert login.status_code == 303 and "httponly" in login.headers["set-cookie"].lower()
    assert http.get(f"/day/{DATE}").status_code == 200  # the cookie now
    bearer = TestClient(http.app).get("/", headers={"Authorization": "Bearer s3cret"})
    assert bearer.status_code == 200
    editorial.close()


def test_access_token_is_made_once_and_kept_hashed(reviewed: World) -> None:
    from pipeline.review.serve import TOKEN_KEY, access_token

    editorial = Editorial(Store(reviewed.data))
    assert access_token(editorial, "127.0.0.1", False) == (None, None)
    first_hash, token = access_token(editorial, "0.0.0.0", False)
    assert token is not None and first_hash == hash_token(token)
    assert editorial.setting(TOKEN_KEY) == first_hash  # only the hash is stored
    assert access_token(editorial, "0.0.0.0", False) == (first_hash, None)  # not printed again
    editorial.close()


def test_titles_and_model_output_are_escaped(world: World) -> None:
    world.add("2406.20009", "<script>alert(1)</script> Attention", 5, authors=["<b>Eve</b>"])
    # The fake model quotes the title, tags and all: the validator (issue 8) sends that draft to
    # review instead of publishing it, and the review page must escape it all the same. It is
    # the night's only paper, so nothing is published: exit 1.
    assert world.night().exit_code == 1
    http, editorial, _ = make_client(world)
    html = http.get(f"/day/{DATE}").text
    assert "<script>alert(1)</script>" not in html and "<b>Eve</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Attention" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    editorial.close()


@pytest.mark.parametrize(
    "url",
    [
        "/day/2024-13-45",
        "/day/..%2F..%2Fetc",
        f"/api/{DATE}/not-an-id/approve",
        f"/api/{DATE}/{FIRST}/delete",
        "/api/2024-06-1x/publish",
    ],
)
def test_dates_ids_and_actions_are_validated(
    client: tuple[TestClient, Editorial, Guard], url: str
) -> None:
    http, _, guard = client
    answer = http.get(url) if url.startswith("/day") else post(http, guard, url, {"base": 1})
    assert answer.status_code in (400, 404)  # type: ignore[attr-defined]


def test_an_unknown_paper_is_404(client: tuple[TestClient, Editorial, Guard]) -> None:
    http, _, guard = client
    answer = post(http, guard, f"/api/{DATE}/2406.99999/approve", {"base": 1})
    assert answer.status_code == 404  # type: ignore[attr-defined]


def test_regenerate_the_whole_paper_is_a_candidate_with_provenance(
    client: tuple[TestClient, Editorial, Guard], reviewed: World
) -> None:
    http, editorial, guard = client
    calls = reviewed.llm.calls
    url = f"/api/{DATE}/2406.20002/regenerate"
    answer = post(http, guard, url, {"prompt": "summarize@v1", "model": "gpt-4.1-mini"})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert reviewed.llm.calls == calls + 1  # asked again, not replayed from the cache
    paper = editorial.paper(DAY, "2406.20002")
    [candidate] = paper.pending_candidates
    assert candidate.origin.value == "regenerate" and candidate.provenance is not None
    assert candidate.provenance.prompt_version == "v1" and paper.current == 1
    unknown = post(http, guard, url, {"prompt": "summarize@v99"})
    assert unknown.status_code == 400 and "v99" in unknown.json()["error"]  # type: ignore[attr-defined]


def _about_first(whats_new: str) -> dict[str, str]:
    """A Korean summary that names what the papers of the review world state (RouteLM, GSM8K,
    61.2 in their table): the night's wrong-paper check passes it."""
    return {
        "whats_new": whats_new,
        "technical_details": "RouteLM은 추론 단계마다 전문가를 고르는 라우터로 계산을 줄입니다.",
        "performance_highlights": "RouteLM은 GSM8K에서 61.2%를 기록해 밀집 모델보다 앞섭니다.",
    }


GOOD_FIRST = _about_first("RouteLM은 추론 단계를 전문가에게 나누어 맡기는 방법입니다.")


def test_regenerate_re_asks_a_form_problem_as_the_night_does(
    client: tuple[TestClient, Editorial, Guard], reviewed: World
) -> None:
    http, editorial, guard = client
    english = {**GOOD_FIRST, "whats_new": ENGLISH}
    reviewed.llm.script_for(PAPERS[FIRST], summary_reply(english), summary_reply(GOOD_FIRST))
    calls = reviewed.llm.calls
    url = f"/api/{DATE}/{FIRST}/regenerate"
    answer = post(http, guard, url, {"prompt": "summarize@v2", "model": "gpt-4.1-mini"})
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert reviewed.llm.calls == calls + 2
    feedback = reviewed.llm.chat_bodies()[-1]["messages"][-1]["content"]
    assert "What's New is not written in Korean" in feedback
    [candidate] = editorial.paper(DAY, FIRST).pending_candidates
    assert candidate.summary.model_dump() == GOOD_FIRST  # the re-asked answer, which passes
    assert candidate.note == "summarize@v2, gpt-4.1-mini"  # nothing the night would hold back
    assert not [f for f in candidate.flags or [] if f.code.startswith(("form", "faith"))]


def test_regenerate_shows_a_reply_the_night_would_send_to_review_with_its_reasons(
    client: tuple[TestClient, Editorial, Guard], reviewed: World
) -> None:
    http, editorial, guard = client
    slip = _about_first("RouteLM은 MATH에서 71.4%를 기록한 라우팅 방법입니다.")
    reviewed.llm.script_for(PAPERS[FIRST], summary_reply(slip), summary_reply(slip))
    calls = reviewed.llm.calls
    url = f"/api/{DATE}/{FIRST}/regenerate"
    answer = post(http, guard, url, {"prompt": "summarize@v2", "model": "gpt-4.1-mini"})
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert reviewed.llm.calls == calls + 2  # the faithfulness re-ask, naming the number
    assert "71.4%" in reviewed.llm.chat_bodies()[-1]["messages"][-1]["content"]
    [candidate] = editorial.paper(DAY, FIRST).pending_candidates
    reason = "the night would send it to review: numbers or names not found in the paper: 71.4%"
    assert candidate.note is not None and candidate.note.endswith(reason)
    flagged = [f.span for f in candidate.flags or [] if f.code == "faithfulness_number"]
    assert flagged == ["71.4%"]
    page = http.get(f"/day/{DATE}").text
    assert reason in page and "faithfulness_number" in page


def test_any_flag_shows_its_code_detail_and_extra_fields() -> None:
    from pipeline.core.models import Flag
    from pipeline.review.views import flag_extras

    assert flag_extras(Flag(code="hidden_text", detail="white text", page=3)) == [("page", 3)]
    assert flag_extras(Flag(code="abstract_fallback", detail="no PDF")) == []


def test_a_paper_the_model_gave_no_text_for_is_written_by_hand(world: World) -> None:
    from tests.fakes.llm import Behaviour
    from tests.review_world import PAPERS

    world.llm.script_for(PAPERS["2406.20002"], *[Behaviour.MALFORMED] * 3)
    night_world(world, exit_code=3)
    http, editorial, guard = make_client(world)
    paper = editorial.paper(DAY, "2406.20002")
    assert (paper.state.value, paper.current, paper.revisions) == ("needs_review", 0, [])
    html = http.get(f"/day/{DATE}").text
    assert "not a JSON object" in html  # the reason is shown with the (empty) card
    assert "모델의 마지막 답" in html  # and what the model did say
    [form] = [f for f in paper.current_flags if f.code == "form"]  # one problem, one flag
    assert "not a JSON object" in form.detail
    url = f"/api/{DATE}/2406.20002/edit"
    first = post(http, guard, url, {"base": 0, "sections": {"whats_new": KOREAN_EDIT}})
    assert first.json()["paper"]["state"] == "needs_review"  # type: ignore[attr-defined]
    assert post(http, guard, f"/api/{DATE}/2406.20002/approve", {"base": 1}).status_code == 422  # type: ignore[attr-defined]
    rest = {"technical_details": KOREAN_EDIT, "performance_highlights": KOREAN_EDIT}
    done = post(http, guard, url, {"base": 1, "sections": rest})
    assert done.json()["paper"]["state"] == "edited"  # type: ignore[attr-defined]
    # The night's form problem was about the night's (missing) text, not the editor's.
    assert [f for f in done.json()["paper"]["flags"] if f["code"] == "form"] == []  # type: ignore[attr-defined]
    assert post(http, guard, f"/api/{DATE}/2406.20002/approve", {"base": 2}).status_code == 200  # type: ignore[attr-defined]
    editorial.close()
