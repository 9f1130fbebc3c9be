"""A fake of the arXiv API (`GET /api/query`, Atom) and of arxiv.org's PDF host (`GET /pdf/<id>`).

The feed is written the way export.arxiv.org writes it: three namespaces, opensearch paging
counts, titles wrapped onto indented lines, abstracts wrapped with leading spaces and a trailing
newline. An id the fake does not know is simply absent from the feed; an id that is not an arXiv
id at all gets the API's 400 error feed. `search_query` and the sort parameters are recorded but
not evaluated: the pipeline only looks papers up by id.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from .server import FakeServer, RecordedRequest, Reply

API_QUERY = "/api/query"
PDF_PREFIX = "/pdf/"
FEED_UPDATED = "2024-06-12T00:00:00-04:00"
_ID = re.compile(r"(?P<base>\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?")
_PDF = {"Content-Type": "application/pdf"}
_ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
_OPENSEARCH = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
_ARXIV = 'xmlns:arxiv="http://arxiv.org/schemas/atom"'


@dataclass(frozen=True)
class FakePaper:
    arxiv_id: str
    version: int
    pdf: bytes
    title: str
    abstract: str
    authors: tuple[str, ...]
    published: str
    updated: str
    category: str


def html_error_page(status: int = 200) -> Reply:
    """What arxiv.org serves instead of a PDF when it is unhappy: an HTML page, often with 200."""
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><title>arXiv: temporarily unavailable</title>'
        "</head><body><h1>Service temporarily unavailable</h1>"
        "<p>Please try again later.</p></body></html>\n"
    )
    return Reply(status, page, {"Content-Type": "text/html; charset=utf-8"})


class FakeArxiv(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._papers: dict[str, FakePaper] = {}

    # -- test API

    def add_paper(
        self,
        arxiv_id: str,
        pdf: bytes,
        *,
        version: int = 1,
        title: str = "A Fake Paper About Token-Efficient Transformers",
        abstract: str = "We study a problem and propose a method that works well.",
        authors: list[str] | tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
        published: str = "2024-06-11T17:59:56Z",
        updated: str | None = None,
        category: str = "cs.CL",
    ) -> None:
        """Register a paper: versions 1..`version` exist; the feed reports `version`."""
        paper = FakePaper(
            arxiv_id,
            version,
            pdf,
            title,
            abstract,
            tuple(authors),
            published,
            updated or published,
            category,
        )
        with self._lock:
            self._papers[arxiv_id] = paper

    def pdf_path(self, arxiv_id: str, version: int | None = None) -> str:
        """`/pdf/<id>v<N>` (latest version by default): the prefix to `script` a PDF failure."""
        return f"{PDF_PREFIX}{arxiv_id}v{version or self._paper(arxiv_id).version}"

    def pdf_url(self, arxiv_id: str, version: int | None = None) -> str:
        return self.url + self.pdf_path(arxiv_id, version)

    def truncated_pdf(self, arxiv_id: str) -> Reply:
        """A complete 200 response whose body is only the first half of the PDF."""
        pdf = self._paper(arxiv_id).pdf
        return Reply(200, pdf[: len(pdf) // 2], _PDF)

    def cut_pdf(self, arxiv_id: str) -> Reply:
        """Headers announce the whole PDF; the connection drops after half of it."""
        pdf = self._paper(arxiv_id).pdf
        return Reply(200, pdf, _PDF, close_early=True, close_after=len(pdf) // 2)

    def api_queries(self) -> list[dict[str, str]]:
        """The query parameters of every API call, in order ("no query was repeated")."""
        return [r.query for r in self.requests if r.path == API_QUERY]

    def pdf_downloads(self) -> list[str]:
        """The `<id>v<N>` of every PDF request, in order ("no PDF was downloaded twice")."""
        return [r.path[len(PDF_PREFIX) :] for r in self.requests if r.path.startswith(PDF_PREFIX)]

    # -- routing

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method == "GET" and request.path == API_QUERY:
            return self._query(request.query)
        if request.method == "GET" and request.path.startswith(PDF_PREFIX):
            return self._pdf(request.path[len(PDF_PREFIX) :])
        return html_error_page(404)

    def _paper(self, arxiv_id: str) -> FakePaper:
        with self._lock:
            return self._papers[arxiv_id]

    def _lookup(self, wanted: str) -> tuple[FakePaper, int] | None:
        """The paper and version an id (with or without `vN`) names, if the fake has it."""
        match = _ID.fullmatch(wanted)
        if match is None:
            return None
        with self._lock:
            paper = self._papers.get(match["base"])
        version = int(match["version"] or 0) or (paper.version if paper else 0)
        if paper is None or version > paper.version:
            return None
        return paper, version

    # -- PDF host

    def _pdf(self, wanted: str) -> Reply:
        found = self._lookup(wanted.removesuffix(".pdf"))
        if found is None:
            return html_error_page(404)
        return Reply(200, found[0].pdf, _PDF)

    # -- API

    def _query(self, query: dict[str, str]) -> Reply:
        ids = [i.strip() for i in query.get("id_list", "").split(",") if i.strip()]
        try:
            start = int(query.get("start", "0"))
            max_results = int(query.get("max_results", "10"))
        except ValueError:
            return _error_feed(query, "start_and_max_results_must_be_integers")
        bad = next((i for i in ids if _ID.fullmatch(i) is None), None)
        if bad is not None:
            return _error_feed(query, f"incorrect id format for {bad}")
        found = [f for f in map(self._lookup, ids) if f is not None]
        page = found[start : start + max_results]
        header = _feed_header(query, total=len(found), start=start, per_page=max_results)
        body = header + "".join(self._entry(p, v) for p, v in page) + "</feed>\n"
        return Reply(200, body, _ATOM)

    def _entry(self, paper: FakePaper, version: int) -> str:
        abs_url = f"http://arxiv.org/abs/{paper.arxiv_id}v{version}"
        pdf_url = self.url + f"{PDF_PREFIX}{paper.arxiv_id}v{version}"
        authors = "".join(
            f"    <author>\n      <name>{escape(a)}</name>\n    </author>\n" for a in paper.authors
        )
        return (
            "  <entry>\n"
            f"    <id>{abs_url}</id>\n"
            f"    <updated>{paper.updated}</updated>\n"
            f"    <published>{paper.published}</published>\n"
            f"    <title>{escape(_wrap_title(paper.title))}</title>\n"
            f"    <summary>{escape(_wrap_abstract(paper.abstract))}</summary>\n"
            f"{authors}"
            f'    <link href={quoteattr(abs_url)} rel="alternate" type="text/html"/>\n'
            f'    <link title="pdf" href={quoteattr(pdf_url)} rel="related"'
            ' type="application/pdf"/>\n'
            f"    <arxiv:primary_category {_ARXIV} term={quoteattr(paper.category)}"
            ' scheme="http://arxiv.org/schemas/atom"/>\n'
            f"    <category term={quoteattr(paper.category)}"
            ' scheme="http://arxiv.org/schemas/atom"/>\n'
            "  </entry>\n"
        )


def _wrap_title(title: str) -> str:
    # arXiv keeps the submitter's line breaks: long titles arrive on indented lines.
    return "\n  ".join(textwrap.wrap(title, 60)) if "\n" not in title else title


def _wrap_abstract(abstract: str) -> str:
    return "  " + "\n".join(textwrap.wrap(abstract, 78)) + "\n"


def _feed_header(query: dict[str, str], *, total: int, start: int, per_page: int) -> str:
    shown = "&".join(
        f"{k}={query.get(k, '')}" for k in ("search_query", "id_list", "start", "max_results")
    )
    feed_id = hashlib.sha1(shown.encode()).hexdigest()[:27]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <link href={quoteattr('http://arxiv.org/api/query?' + quote(shown, safe=''))}"
        ' rel="self" type="application/atom+xml"/>\n'
        f'  <title type="html">ArXiv Query: {escape(shown)}</title>\n'
        f"  <id>http://arxiv.org/api/{feed_id}</id>\n"
        f"  <updated>{FEED_UPDATED}</updated>\n"
        f"  <opensearch:totalResults {_OPENSEARCH}>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex {_OPENSEARCH}>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage {_OPENSEARCH}>{per_page}</opensearch:itemsPerPage>\n"
    )


def _error_feed(query: dict[str, str], problem: str) -> Reply:
    """The API's answer to a malformed request: HTTP 400 and a feed with one error entry."""
    anchor = "http://arxiv.org/api/errors#" + re.sub(r"\W+", "_", problem)
    entry = (
        "  <entry>\n"
        f"    <id>{escape(anchor)}</id>\n"
        "    <title>Error</title>\n"
        f"    <summary>{escape(problem)}</summary>\n"
        f"    <updated>{FEED_UPDATED}</updated>\n"
        f'    <link href={quoteattr(anchor)} rel="alternate" type="text/html"/>\n'
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n"
    )
    body = _feed_header(query, total=1, start=0, per_page=1) + entry + "</feed>\n"
    return Reply(400, body, _ATOM)
