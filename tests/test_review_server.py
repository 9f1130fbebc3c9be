"""The review server stays responsive and says what went wrong: SQLite off the event loop, busy
as 503, bodies capped, every error one JSON line; editors' names; the safety leftovers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.errors import UsageError
from pipeline.review.app import MAX_BODY_BYTES, ReviewApp, create_app
from pipeline.review.editorial import Editorial
from pipeline.review.security import Guard, hash_token
from pipeline.review.serve import checked_host, public_url
from pipeline.store import Store
from tests.review_world import DAY, KOREAN_EDIT, live_review, night_world
from tests.world import DATE, World

ORIGIN = "http://testserver"
FIRST = "2406.20001"


def make_client(
    world: World,
    editor: str | None = "tester",
    token: str | None = None,
    timeout: float = 10.0,
    models: tuple[str, ...] = (),
) -> tuple[TestClient, Editorial, Guard]:
    editorial = Editorial(Store(world.data), timeout=timeout)
    guard = Guard(frozenset({"testserver"}), hash_token(token) if token else None)
    settings = Settings(data_dir=world.data, **{"OPENAI_BASE_URL": world.llm.url + "/v1"})
    app = create_app(ReviewApp(editorial, settings, editor, guard, models))
    return TestClient(app, raise_server_exceptions=False), editorial, guard


def post(
    http: TestClient, guard: Guard, url: str, body: object = None, **kw: object
) -> httpx.Response:
    headers = {"Origin": ORIGIN, "X-CSRF-Token": guard.csrf_token}
    if "content" in kw:
        return http.post(url, content=kw["content"], headers=headers)  # type: ignore[arg-type]
    return http.post(url, json=body if body is not None else {}, headers=headers)


@pytest.fixture
def reviewed(world: World) -> World:
    night_world(world)
    editorial = Editorial(Store(world.data))
    editorial.import_day(DAY)
    editorial.close()
    return world


@pytest.fixture
def client(reviewed: World) -> Iterator[tuple[TestClient, Editorial, Guard]]:
    made = make_client(reviewed)
    yield made
    made[1].close()


def one_line_error(answer: httpx.Response) -> str:
    error = answer.json()["error"]
    assert isinstance(error, str) and "\n" not in error and "Traceback" not in answer.text
    return error


# ---- responsive under a lock ------------------------------------------------------------------


def test_a_lock_held_elsewhere_is_503_with_retry_after(reviewed: World) -> None:
    http, editorial, guard = make_client(reviewed, timeout=0.3)
    holder = sqlite3.connect(reviewed.data / "editorial.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        answer = post(http, guard, f"/api/{DATE}/{FIRST}/approve", {"base": 1})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status_code == 503 and answer.headers["retry-after"].isdigit()
    assert "busy" in one_line_error(answer)
    assert post(http, guard, f"/api/{DATE}/{FIRST}/approve", {"base": 1}).status_code == 200
    editorial.close()


def test_pages_and_static_files_answer_while_a_save_waits_for_a_lock(reviewed: World) -> None:
    holder = sqlite3.connect(reviewed.data / "editorial.sqlite3", isolation_level=None)
    with live_review(reviewed) as url:
        page = httpx.get(f"{url}/day/{DATE}")
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        holder.execute("BEGIN IMMEDIATE")
        waiting: list[int] = []

        def save() -> None:
            answer = httpx.post(
                f"{url}/api/{DATE}/{FIRST}/approve",
                json={"base": 1},
                headers={"Origin": url, "X-CSRF-Token": csrf},
                timeout=30,
            )
            waiting.append(answer.status_code)

        saver = threading.Thread(target=save)
        saver.start()
        try:
            static = httpx.get(f"{url}/static/review.css", timeout=30)
            assert static.status_code == 200
            assert saver.is_alive() and not waiting  # the save still waits: the loop did not
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        saver.join(30)
    assert waiting == [200]


# ---- bodies and errors ------------------------------------------------------------------------


def test_a_body_over_the_cap_is_413_and_nothing_changes(
    client: tuple[TestClient, Editorial, Guard],
) -> None:
    http, editorial, guard = client
    huge = b'{"base": 1, "sections": {"whats_new": "' + b"a" * MAX_BODY_BYTES + b'"}}'
    answer = post(http, guard, f"/api/{DATE}/{FIRST}/edit", content=huge)
    assert answer.status_code == 413 and "KB" in one_line_error(answer)
    assert editorial.paper(DAY, FIRST).current == 1


def test_deep_json_and_a_section_over_the_maximum_are_refused_in_one_line(
    client: tuple[TestClient, Editorial, Guard],
) -> None:
    http, editorial, guard = client
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = post(http, guard, f"/api/{DATE}/{FIRST}/edit", content=deep)
    assert answer.status_code == 400 and "nested" in one_line_error(answer)
    long = post(
        http,
        guard,
        f"/api/{DATE}/{FIRST}/edit",
        {"base": 1, "sections": {"whats_new": "가" * 200_000}},
    )
    assert long.status_code == 422 and "too long" in long.text
    assert editorial.paper(DAY, FIRST).current == 1


def test_bad_ids_dates_and_future_dates_are_400(
    client: tuple[TestClient, Editorial, Guard],
) -> None:
    http, _, guard = client
    for url in (
        f"/api/9999-12-31/{FIRST}/approve",
        f"/api/{DATE}/%D9%A2406.20001/approve",
        f"/api/{DATE}/2406.20001%0A/approve",
    ):
        answer = post(http, guard, url, {"base": 1})
        assert answer.status_code == 400, url
        one_line_error(answer)


# ---- editors are people -----------------------------------------------------------------------


def test_each_browser_names_its_editor_and_every_revision_and_publication_records_it(
    reviewed: World,
) -> None:
    http, editorial, guard = make_client(reviewed, editor=None)
    asked = post(http, guard, f"/api/{DATE}/{FIRST}/approve", {"base": 1})
    assert asked.status_code == 400 and asked.json()["need_editor"] is True
    assert editorial.paper(DAY, FIRST).state.value == "draft"
    named = post(http, guard, "/api/editor", {"name": "김민아"})
    assert named.status_code == 200
    page = http.get(f"/day/{DATE}")
    assert "김민아" in page.text
    edit = {"base": 1, "sections": {"whats_new": KOREAN_EDIT}}
    assert post(http, guard, f"/api/{DATE}/{FIRST}/edit", edit).status_code == 200
    paper = editorial.paper(DAY, FIRST)
    assert paper.revisions[-1].author == "김민아" and paper.updated_by == "김민아"
    assert post(http, guard, f"/api/{DATE}/{FIRST}/approve", {"base": 2}).status_code == 200
    history = http.get(f"/day/{DATE}").text
    assert "김민아 · approve" in history and "김민아 · edit" in history
    script, other, script_guard = make_client(reviewed, editor=None)  # no cookie: a script
    scripted = script.post(
        f"/api/{DATE}/2406.20003/approve",
        json={"base": 1},
        headers={
            "Origin": ORIGIN,
            "X-CSRF-Token": script_guard.csrf_token,
            "X-Review-Editor": "bot",
        },
    )
    assert scripted.status_code == 200
    assert editorial.paper(DAY, "2406.20003").updated_by == "bot"
    other.close()
    refused = post(http, guard, "/api/editor", {"name": "<script>"})
    assert refused.status_code == 400
    editorial.close()


# ---- safety leftovers -------------------------------------------------------------------------


def test_no_open_redirect_from_the_token_login(reviewed: World) -> None:
    http, editorial, _ = make_client(reviewed, token="secret-token")
    for path in ("//evil.com/path", "/\\evil.com/path", "/%09/evil.com"):
        answer = http.get(f"{path}?token=secret-token", follow_redirects=False)
        location = answer.headers.get("location", "")
        assert answer.status_code == 303 and location.startswith("/"), path
        # One slash then a path: a browser stays on this host (//host and /\\host leave it).
        assert location == "/" or location[1] not in "/\\", path
    editorial.close()


def test_a_javascript_pdf_link_is_not_an_href(reviewed: World) -> None:
    store = Store(reviewed.data)
    meta = store.load_arxiv(FIRST)
    assert meta is not None
    store.save_arxiv(meta.model_copy(update={"pdf_url": "javascript:alert(1)"}))
    http, editorial, _ = make_client(reviewed)
    page = http.get(f"/day/{DATE}")
    assert page.status_code == 200 and "javascript:" not in page.text
    editorial.close()


def test_regenerate_offers_only_the_configured_models(reviewed: World) -> None:
    http, editorial, guard = make_client(reviewed)
    url = f"/api/{DATE}/{FIRST}/regenerate"
    answer = post(http, guard, url, {"model": "gpt-4o-expensive", "base": 1})
    assert answer.status_code == 400 and "--allow-model" in one_line_error(answer)
    assert reviewed.llm.calls == 3  # the night's three, nothing more
    page = http.get(f"/day/{DATE}")
    assert '<option value="gpt-4.1-mini">' in page.text and "gpt-4o-expensive" not in page.text
    editorial.close()


def test_reads_never_write_the_editorial_database(world: World) -> None:
    night_world(world)
    db = world.data / "editorial.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM revisions")
        conn.execute("DELETE FROM papers")
    before = db.read_bytes()
    http, editorial, _ = make_client(world)
    assert http.get("/").status_code == 200
    assert db.read_bytes() == before
    editorial.close()


def test_pages_are_gzipped(client: tuple[TestClient, Editorial, Guard]) -> None:
    http, _, _ = client
    page = http.get(f"/day/{DATE}", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"


@pytest.mark.parametrize("host", ["", "   ", "exa mple", "a/b", "http://x"])
def test_bad_host_values_are_refused(host: str) -> None:
    with pytest.raises(UsageError):
        checked_host(host)


def test_the_printed_address_is_one_a_browser_can_open() -> None:
    assert public_url("127.0.0.1", 8765) == "http://localhost:8765/"
    assert "0.0.0.0" not in public_url("0.0.0.0", 8765)
    assert checked_host("0.0.0.0") == "0.0.0.0" and checked_host("::1") == "::1"


def test_serve_prints_the_token_once_and_loopback_reaches_a_wildcard_bind(
    world: World, tmp_path: Path
) -> None:
    from pipeline.review.serve import access_token

    world.data.mkdir(parents=True)
    editorial = Editorial(Store(world.data))
    token_hash, token = access_token(editorial, "0.0.0.0", renew=False)
    assert token is not None and token_hash == hash_token(token)
    again_hash, again = access_token(editorial, "0.0.0.0", renew=False)
    assert again is None and again_hash == token_hash
    editorial.close()
    guard = Guard.for_bind("0.0.0.0", 8765, token_hash, ["127.0.0.1", "localhost"])
    assert "127.0.0.1:8765" in guard.allowed_hosts


def test_serving_a_damaged_database_is_one_line_naming_the_recovery(reviewed: World) -> None:
    db = reviewed.data / "editorial.sqlite3"
    for suffix in ("-wal", "-shm"):
        (reviewed.data / f"editorial.sqlite3{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"not a database at all " * 300)
    served = reviewed.run("review", "serve", "--no-browser", "--port", "1")
    assert served.exit_code == 1 and served.stderr.count("\n") == 1
    assert ".recover" in served.stderr and str(db) in served.stderr
