"""Loopback fakes of every outside service, each a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Protocol


class _Served(Protocol):
    url: str


def endpoint_env(hf: _Served, arxiv: _Served, llm: _Served, api_key: str) -> dict[str, str]:
    """The settings that point a night at the fakes (and skip arXiv's politeness delay): one
    place, so a test world and a benchmark's child process reach the same servers alike."""
    return {
        "HF_ENDPOINT": hf.url,
        "ARXIV_API_URL": arxiv.url + "/api/query",
        "OPENAI_BASE_URL": llm.url + "/v1",
        "OPENAI_API_KEY": api_key,
        "DIGEST_ARXIV_DELAY_S": "0",
    }
