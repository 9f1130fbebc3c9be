"""Stages 1 and 2 against the fakes: the HF list and arXiv metadata + PDFs."""

from __future__ import annotations

import datetime as dt

import httpx2
import pytest

from pipeline.core.config import Settings
from pipeline.core.errors import FetchError
from pipeline.core.http import make_client
from pipeline.stages.arxiv_api import arxiv_metadata
from pipeline.stages.fetch import download_pdf
from pipeline.stages.listing import list_papers
from tests import pdfs
from tests.fakes.arxiv import FakeArxiv, html_error_page
from tests.fakes.hf import FakeHF, hf_entry

DAY = dt.date(2024, 6, 13)


def settings_for(hf: FakeHF | None = None, ax: FakeArxiv | None = None) -> Settings:
    return Settings.model_validate(
        {
            "HF_ENDPOINT": hf.url if hf else "http://127.0.0.1:9",
            "ARXIV_API_URL": (ax.url if ax else "http://127.0.0.1:9") + "/api/query",
            "arxiv_delay_s": 0,
            "http_timeout_s": 2,
            "max_backoff_s": 0.05,
        }
    )


async def test_listing_pages_normalises_and_sorts(fake_hf: FakeHF) -> None:
    entries = [
        hf_entry(f"2406.{i:05d}", f"Paper\n   number  {i}", i % 7, ["B b", "A a", "C c"], "x")
        for i in range(120)
    ]
    entries[3]["thumbnail"] = "/blog/assets/3.png"
    entries.append(dict(entries[0]))  # the same paper twice across pages counts once
    fake_hf.set_day(DAY.isoformat(), entries)
    async with make_client(2) as client:
        listing = await list_papers(client, settings_for(fake_hf), DAY)
    papers, raw = listing.papers, listing.raw
    assert fake_hf.count("/api/daily_papers") == 3  # 50 + 50 + 21: stops at the short page
    assert len(raw) == 121 and len(papers) == 120
    votes = [p.upvotes for p in papers]
    assert votes == sorted(votes, reverse=True)
    sixes = [p.arxiv_id for p in papers if p.upvotes == 6]
    assert sixes == sorted(sixes)  # ties keep the API's order
    first = next(p for p in papers if p.arxiv_id == "2406.00003")
    assert first.title == "Paper number 3"
    assert first.authors == ["B b", "A a", "C c"]
    assert first.thumbnail == "https://huggingface.co/blog/assets/3.png"
    assert first.submitter_avatar is not None and first.submitter_avatar.startswith("https://")


async def test_metadata_is_one_batched_query_with_versions(fake_arxiv: FakeArxiv) -> None:
    pdf = pdfs.paper_pdf("T", "A")
    fake_arxiv.add_paper("2406.00001", pdf, version=3, title="A\n  wrapped   title")
    fake_arxiv.add_paper("2406.00002", pdf)
    metas = arxiv_metadata(settings_for(ax=fake_arxiv), ["2406.00001", "2406.00002", "2406.99999"])
    assert len(fake_arxiv.api_queries()) == 1
    assert sorted(metas) == ["2406.00001", "2406.00002"]  # unknown ids are simply absent
    assert metas["2406.00001"].versioned_id == "2406.00001v3"
    assert metas["2406.00001"].title == "A wrapped title"
    assert metas["2406.00001"].pdf_url.endswith("/pdf/2406.00001v3")


@pytest.mark.parametrize("kind", ["html", "truncated"])
async def test_a_bad_download_is_retried_then_reported(fake_arxiv: FakeArxiv, kind: str) -> None:
    fake_arxiv.add_paper("2406.00001", pdfs.paper_pdf("T", "A"))
    meta = arxiv_metadata(settings_for(ax=fake_arxiv), ["2406.00001"])["2406.00001"]
    bad = html_error_page() if kind == "html" else fake_arxiv.truncated_pdf("2406.00001")
    fake_arxiv.script(fake_arxiv.pdf_path("2406.00001"), bad, bad)
    async with make_client(2) as client:
        with pytest.raises(FetchError, match="not a PDF" if kind == "html" else "truncated"):
            await download_pdf(client, settings_for(ax=fake_arxiv), meta)
        assert len(fake_arxiv.pdf_downloads()) == 2
        data = await download_pdf(client, settings_for(ax=fake_arxiv), meta)  # recovered
    assert data.startswith(b"%PDF-")


async def test_pdf_stall_past_the_timeout_is_retried(fake_arxiv: FakeArxiv) -> None:
    from tests.fakes.server import stall

    fake_arxiv.add_paper("2406.00001", pdfs.paper_pdf("T", "A"))
    meta = arxiv_metadata(settings_for(ax=fake_arxiv), ["2406.00001"])["2406.00001"]
    fake_arxiv.script(fake_arxiv.pdf_path("2406.00001"), stall(4))
    async with httpx2.AsyncClient(timeout=0.5) as client:
        data = await download_pdf(client, settings_for(ax=fake_arxiv), meta)
    assert data.startswith(b"%PDF-") and len(fake_arxiv.pdf_downloads()) == 2
