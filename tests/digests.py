"""Digest entries for the tests of what readers get (site, feed, Slack): Korean text with
markup and ampersands in it, which every output must escape."""

from __future__ import annotations

from pipeline.core.models import DigestEntry, Summary


def entry(arxiv_id: str, title: str, votes: int, thumb: str | None = None) -> DigestEntry:
    return DigestEntry(
        arxiv_id=arxiv_id,
        title=title,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        thumbnail=thumb,
        upvotes=votes,
        authors=["김민아", "Adam <b>Abel</b>"],
        summary=Summary(
            whats_new=f"{title}: 언어 모델의 추론 능력을 높이는 새로운 학습 방법 A&B를 제안합니다.",
            technical_details="인코더와 디코더를 함께 학습 </dd><script>x()</script>",
            performance_highlights="GSM8K에서 기존 방법보다 4.2%p 높은 정확도를 보입니다.",
        ),
    )
