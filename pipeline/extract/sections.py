"""Split paragraphs into the paper's sections and name each with a canonical kind.

Headings come from the PDF outline when it has one, and from numbering and typography
otherwise. The heading text is kept for display; the kind drives what the budget keeps.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace

from pipeline.extract.clean import Para

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("abstract", r"^abstract\b"),
        ("references", r"^(references?|bibliography|literature cited|works cited)$"),
        ("acknowledgements", r"^acknowledge?ments?\b"),
        ("appendix", r"^(appendix|appendices|supplementary|supplemental)\b"),
        ("introduction", r"^introduction\b"),
        ("related_work", r"related work|^background\b|prior work|literature review"),
        ("conclusion", r"conclu|^summary\b|future work|^closing"),
        ("limitations", r"limitation"),
        ("discussion", r"discussion|broader impact|ethic|impact statement"),
        ("experiments", r"experiment|evaluation|result|benchmark|empirical|ablation|analys"),
        (
            "method",
            r"method|approach|model|framework|architecture|algorithm|formulation|training"
            r"|proposed|preliminar|pipeline|design",
        ),
    )
)
BODY_KINDS = frozenset(
    {"introduction", "related_work", "method", "experiments", "discussion", "limitations"}
    | {"conclusion", "other"}
)
_NUMBERED = re.compile(r"^(?P<num>\d{1,2}|[IVX]{1,5})(?P<sub>(?:\.\d{1,2})*)\.?\s+(?P<title>\S.*)$")
_LETTERED = re.compile(r"^(?P<num>[A-H])(?P<sub>(?:\.\d{1,2})*)\.?\s+(?P<title>[A-Z].*)$")
_RUN_IN = re.compile(r"^(abstract)\s*[-—–.:]\s*(?=\S)", re.IGNORECASE)
_MAX_HEADING_CHARS = 90
_TITLE_ZONE = 350.0  # points from the top of page one


@dataclass(slots=True)
class Section:
    name: str
    kind: str
    paras: list[Para] = field(default_factory=list)
    tokens: int = 0  # of ``text``, filled in by whoever knows the model

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paras)


@dataclass(slots=True)
class Paper:
    title: str | None
    sections: list[Section]


def kind_of(name: str) -> str:
    low = name.lower().strip()
    for kind, pattern in _KINDS:
        if pattern.search(low):
            return kind
    return "other"


def split_sections(
    paras: list[Para], toc: list[tuple[int, str, int]], meta_title: str, body: float
) -> Paper:
    paras = _split_run_in(paras)
    title_span = _title_span(paras, meta_title)
    title = _title(paras, title_span, meta_title)
    outline = _outline(toc)
    sections: list[Section] = []
    front: list[Para] = []
    after_references = False
    for i, para in enumerate(paras):
        if i in title_span:
            continue
        heading = _heading(para, body, outline, after_references)
        if heading:
            kind = kind_of(heading)
            after_references = after_references or kind == "references"
            if after_references and kind not in ("references", "acknowledgements", "appendix"):
                kind = "appendix"
            if kind == "appendix" and kind_of(heading) != "appendix":
                heading = f"Appendix: {heading}"
            sections.append(Section(heading, kind))
        elif sections:
            sections[-1].paras.append(para)
        else:
            front.append(para)
    sections = _unique([s for s in sections if s.paras])
    _ensure_abstract(sections, front)
    _infer_method(sections)
    return Paper(title, sections)


def _unique(sections: list[Section]) -> list[Section]:
    """Users pick sections by name (kept/dropped), so a repeated name gets a counter."""
    seen: dict[str, int] = {}
    for section in sections:
        seen[section.name] = seen.get(section.name, 0) + 1
        if seen[section.name] > 1:
            section.name = f"{section.name} ({seen[section.name]})"
    return sections


def _split_run_in(paras: list[Para]) -> list[Para]:
    """LNCS and IEEE set "Abstract." or "Abstract—" at the start of the abstract itself."""
    out = []
    for para in paras:
        match = _RUN_IN.match(para.text)
        if match and len(para.text) > 40:
            out.append(Para(para.page, "Abstract", para.size, True, top=para.top))
            out.append(replace(para, text=para.text[match.end() :]))
        else:
            out.append(para)
    return out


def _title_span(paras: list[Para], meta_title: str) -> range:
    """Indexes of the title: the largest type near the top of page one, maybe several lines."""
    first_page = [
        (i, p)
        for i, p in enumerate(paras[:15])
        if p.page == 0 and p.kind == "text" and p.top < _TITLE_ZONE and len(p.text.split()) >= 3
    ]
    if not first_page:
        return range(0)
    wanted = _norm(meta_title)
    start = None
    if len(wanted) > 10:
        start = next((i for i, p in first_page if _norm(p.text)[:30] == wanted[:30]), None)
    if start is None:
        start = max(first_page, key=lambda item: (item[1].size, -item[0]))[0]
    end = start + 1
    size = paras[start].size
    while end < len(paras) and paras[end].page == 0 and abs(paras[end].size - size) < 0.3:
        end += 1
    return range(start, end)


def _title(paras: list[Para], span: range, meta_title: str) -> str | None:
    meta = " ".join(html.unescape(meta_title).split())
    bad_meta = re.search(r"\.(pdf|dvi|tex|docx?)$|^microsoft word|^untitled", meta, re.I)
    if len(meta) > 10 and not bad_meta:
        return meta
    text = " ".join(paras[i].text for i in span)
    return (text.title() if text.isupper() else text) or None


def _outline(toc: list[tuple[int, str, int]]) -> dict[str, set[int]]:
    """Top-level outline titles with their 0-based pages; empty when the outline is too thin."""
    if not toc:
        return {}
    top = min(level for level, _, _ in toc)
    entries: dict[str, set[int]] = {}
    for level, title, page in toc:
        key = _norm(_strip_number(title))
        if level == top and key:
            # Outline pages are 1-based and often point just above a heading at a page top.
            entries.setdefault(key, set()).update((page - 2, page - 1, page))
    return entries if len(entries) >= 3 else {}


def _heading(para: Para, body: float, outline: dict[str, set[int]], after_refs: bool) -> str | None:
    """The display name if ``para`` opens a top-level section."""
    text = para.text.strip()
    if para.kind != "text" or len(text) > _MAX_HEADING_CHARS or len(text.split()) > 12:
        return None
    name = _strip_number(text)
    if para.page in outline.get(_norm(name), ()):
        return name
    raw = _bare(text)
    styled = para.bold or para.size >= body + 0.9 or (raw.isupper() and len(raw) > 3)
    if not styled or (text.endswith((".", ",", ";")) and not _NUMBERED.match(text)):
        return None
    known = kind_of(name) in ("abstract", "references", "acknowledgements", "appendix")
    if known and len(name.split()) <= 4:
        return name
    if outline:
        return None
    return _numbered_heading(text, after_refs)


def _numbered_heading(text: str, after_refs: bool) -> str | None:
    match = _NUMBERED.match(text) or (_LETTERED.match(text) if after_refs else None)
    if not match or match["sub"]:
        return None
    title = match["title"]
    if not title[0].isupper() or sum(c.isalpha() for c in title) < 3 * len(title) / 5:
        return None
    return _strip_number(title)


def _bare(text: str) -> str:
    match = _NUMBERED.match(text.strip()) or _LETTERED.match(text.strip())
    name = match["title"] if match else text.strip()
    return name.rstrip(" .:")


def _strip_number(text: str) -> str:
    name = _bare(text)
    return name.title() if name.isupper() and len(name) > 3 else name


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _ensure_abstract(sections: list[Section], front: list[Para]) -> None:
    """Without an "Abstract" heading, the abstract is the long paragraph before section one."""
    if any(s.kind == "abstract" for s in sections):
        return
    long = [p for p in front if p.kind == "text" and len(p.text.split()) >= 60]
    if long:
        sections.insert(0, Section("Abstract", "abstract", long[:1]))


def _infer_method(sections: list[Section]) -> None:
    """Paper-specific section names between the introduction and the experiments are the method."""
    seen_intro = False
    for section in sections:
        if section.kind == "introduction":
            seen_intro = True
        elif section.kind in ("experiments", "references", "conclusion"):
            return
        elif seen_intro and section.kind == "other":
            section.kind = "method"
