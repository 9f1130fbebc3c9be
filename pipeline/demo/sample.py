"""The demo's sample day, shipped as package data: three fictional papers (their listing
entries, arXiv entries and text) and the Korean answers the replay LLM sends back.

The PDFs are made here with PyMuPDF from the papers' text, so the package ships no binary
file and no third-party paper.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from ..core.models import SECTION_TITLES

NOTICE = "This paper is fictional: it was written for the Korean Daily Papers demo."
"""On every sample PDF's first page, so a reader of a demo PDF is never misled."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SamplePaper(_Frozen):
    arxiv_id: str
    title: str
    authors: list[str]
    votes: int
    abstract: str
    sections: dict[str, str]


class RecordedAnswer(_Frozen):
    first: dict[str, str]
    reasked: dict[str, str] | None = None


class Sample(_Frozen):
    date: dt.date
    papers: list[SamplePaper]
    model: str
    answers: dict[str, RecordedAnswer]

    def paper(self, arxiv_id: str) -> SamplePaper | None:
        return next((p for p in self.papers if p.arxiv_id == arxiv_id), None)


def _read(name: str) -> Any:
    shipped = resources.files(__package__).joinpath("sample").joinpath(name)
    return yaml.safe_load(shipped.read_text("utf-8"))


@cache
def load_sample() -> Sample:
    papers, answers = _read("papers.yaml"), _read("answers.yaml")
    sample = Sample(date=papers["date"], papers=papers["papers"], **answers)
    for paper in sample.papers:  # a shipped sample that cannot replay is a packaging bug
        recorded = sample.answers[paper.arxiv_id]
        for answer in (recorded.first, recorded.reasked or recorded.first):
            assert set(answer) == set(SECTION_TITLES), paper.arxiv_id
    return sample


# ---- what the replayed services serve ------------------------------------------------------


def hf_entry(paper: SamplePaper, date: dt.date) -> dict[str, Any]:
    """A Daily Papers entry with the fields the night reads; no thumbnail or avatar, so the
    demo's pages load nothing from elsewhere."""
    published = f"{date.isoformat()}T08:00:00.000Z"
    return {
        "paper": {
            "id": paper.arxiv_id,
            "title": paper.title,
            "summary": paper.abstract,
            "upvotes": paper.votes,
            "publishedAt": published,
            "authors": [{"name": name} for name in paper.authors],
        },
        "title": paper.title,
        "publishedAt": published,
        "numComments": 0,
    }


def atom_entry(paper: SamplePaper, date: dt.date, pdf_url: str) -> str:
    from xml.sax.saxutils import escape, quoteattr

    stamp = f"{date.isoformat()}T08:00:00Z"
    abs_url = f"http://arxiv.org/abs/{paper.arxiv_id}v1"
    authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in paper.authors)
    return (
        f"<entry><id>{abs_url}</id><updated>{stamp}</updated><published>{stamp}</published>"
        f"<title>{escape(paper.title)}</title><summary>{escape(paper.abstract)}</summary>"
        f'{authors}<link href={quoteattr(abs_url)} rel="alternate" type="text/html"/>'
        f'<link title="pdf" href={quoteattr(pdf_url)} rel="related" type="application/pdf"/>'
        '<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.CL" '
        'scheme="http://arxiv.org/schemas/atom"/>'
        '<category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/></entry>'
    )


def atom_feed(entries: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>ArXiv Query (demo replay)</title><id>http://arxiv.org/api/demo</id>"
        "<updated>2024-06-13T00:00:00Z</updated>"
        '<opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"{len(entries)}</opensearch:totalResults>"
        '<opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0'
        "</opensearch:startIndex>"
        '<opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"{len(entries)}</opensearch:itemsPerPage>{''.join(entries)}</feed>\n"
    )


# ---- the PDFs ---------------------------------------------------------------------------------

_PAGE = (612.0, 792.0)
_MARGIN = 72.0
_SIZE = 10.0
_LEADING = 13.0


@cache
def paper_pdf(arxiv_id: str) -> bytes:
    """The paper as a one-column PDF: title, authors, the notice, abstract, numbered sections."""
    import pymupdf

    paper = load_sample().paper(arxiv_id)
    assert paper is not None, arxiv_id
    doc = pymupdf.open()
    writer = _Writer(doc)
    writer.text(paper.title, font="hebo", size=16)
    writer.text(", ".join(paper.authors), size=11)
    writer.text(NOTICE, size=9)
    writer.gap()
    writer.text("Abstract", font="hebo", size=12)
    writer.text(paper.abstract)
    for number, (name, body) in enumerate(paper.sections.items(), start=1):
        writer.gap()
        writer.text(f"{number} {name}", font="hebo", size=12)
        writer.text(body)
    data: bytes = doc.tobytes()
    return data


class _Writer:
    """Lines flowed down pages with greedy wrapping."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.page: Any = None
        self.y = _PAGE[1]

    def gap(self) -> None:
        self.y += _LEADING / 2

    def text(self, text: str, *, font: str = "helv", size: float = _SIZE) -> None:
        import pymupdf

        width = _PAGE[0] - 2 * _MARGIN
        line = ""
        lines: list[str] = []
        for word in text.split():
            trial = f"{line} {word}".strip()
            if line and pymupdf.get_text_length(trial, fontname=font, fontsize=size) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
        for each in lines:
            if self.page is None or self.y > _PAGE[1] - _MARGIN:
                self.page = self.doc.new_page(width=_PAGE[0], height=_PAGE[1])
                self.y = _MARGIN
            self.page.insert_text((_MARGIN, self.y), each, fontname=font, fontsize=size)
            self.y += max(_LEADING, size * 1.3)
