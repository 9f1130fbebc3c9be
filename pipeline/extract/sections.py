"""Split paragraphs into the paper's sections and name each with a canonical kind.

Headings come from the PDF outline when it has one, and from numbering and typography
otherwise. The heading text is kept for display; the kind drives what the budget keeps.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace

from pipeline.extract import notes
from pipeline.extract.clean import Para
from pipeline.extract.title import clean_title

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
_LETTERED = re.compile(r"^(?P<num>[A-H])(?P<sub>(?:\.\d{1,2})*)\.?\s+(?P<title>[\"“‘'`(]*[A-Z].*)$")
_RUN_IN = re.compile(r"^(abstract)\s*[-—–.:]\s*(?=\S)", re.IGNORECASE)
_MAX_HEADING_CHARS = 90
# Names nearly every paper has: how they are set tells how the paper sets its headings.
_CERTAIN_KINDS = frozenset({"introduction", "related_work", "conclusion", "references"})
_MAX_ABSTRACT_WORDS = 450
_MIN_ABSTRACT_WORDS = 30
# A label over the title block, not a section: "TECHNICAL REPORT", "PREPRINT".
_REPORT_LABEL = re.compile(
    r"^(?:an?\s+)?(?:technical|tech\.|research)\s+report$|^(?:an?\s+)?preprint$"
    r"|^(?:working|white)\s+paper$|^(?:draft|under\s+review|arxiv\s+preprint)$",
    re.I,
)
_MIN_OPENING_WORDS = 12
_SHORT_ABSTRACT = 100  # an abstract this short may go on in a second paragraph
_ABSTRACT_WORDS = 200  # where an abstract run into the body is cut
_TITLE_ZONE = 350.0  # points from the top of page one
_MAX_TITLE_WORDS = 40  # longer is the abstract, however large it is set
_BAD_META = re.compile(r"\.(pdf|dvi|tex|docx?)$|^microsoft word|^untitled", re.I)
_WORDS = re.compile(r"[a-z0-9]+")
_META_AGREEMENT = 0.5


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
    title_text = _title(paras, title_span, meta_title)
    outline = _outline(toc)
    paras = [p for i, p in enumerate(paras) if i not in title_span]
    title = clean_title(title_text, paras)
    styles = _heading_styles(paras, body, outline)
    sections: list[Section] = []
    front: list[Para] = []
    after_references = False
    for i, para in enumerate(paras):
        heading = _heading(para, body, outline, after_references, styles, paras[i + 1 : i + 3])
        if heading:
            kind = kind_of(heading)
            after_references = after_references or kind == "references"
            if after_references and kind not in ("references", "acknowledgements", "appendix"):
                kind = "appendix"
            if kind == "appendix" and kind_of(heading) != "appendix":
                heading = f"Appendix: {heading}"
            sections.append(Section(heading, kind))
        elif notes.is_note(para):
            continue
        elif sections:
            sections[-1].paras.append(para)
        else:
            front.append(para)
    sections = [s for s in sections if s.paras]
    _ensure_abstract(sections, front)
    _ensure_body(sections)
    _infer_method(sections)
    return Paper(title, _unique(sections))


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
    """Indexes of the title: the largest, topmost type on page one, maybe several lines."""
    first_page = [
        (i, p)
        for i, p in enumerate(paras[:15])
        if p.page == 0
        and p.kind == "text"
        and p.top < _TITLE_ZONE
        and 3 <= len(p.text.split()) <= _MAX_TITLE_WORDS
    ]
    if not first_page:
        return range(0)
    wanted = _norm(meta_title)
    start = None
    if len(wanted) > 10:
        start = next((i for i, p in first_page if _norm(p.text)[:30] == wanted[:30]), None)
    if start is None:
        start = max(first_page, key=lambda item: (round(item[1].size, 1), -item[1].top))[0]
    end = start + 1
    size = paras[start].size
    while end < len(paras) and paras[end].page == 0 and abs(paras[end].size - size) < 0.3:
        end += 1
    return range(start, end)


def _title(paras: list[Para], span: range, meta_title: str) -> str | None:
    """The PDF's own title when it is plausible: a real title, not a file name or a template's
    placeholder ("Overleaf Example"), and not at odds with the title set on page one."""
    text = " ".join(paras[i].text for i in span)
    meta = " ".join(html.unescape(meta_title).split())
    if len(meta) <= 10 or _BAD_META.search(meta):
        return text or None
    if text and _shared_words(meta, text) < _META_AGREEMENT:
        return text
    return meta


def _shared_words(meta: str, text: str) -> float:
    """The share of the metadata title's words that page one's title has."""
    words = set(_WORDS.findall(meta.lower()))
    return len(words & set(_WORDS.findall(text.lower()))) / len(words) if words else 0.0


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


Style = tuple[float, bool]


def _style(para: Para) -> Style:
    return round(para.size * 2) / 2, para.bold


def _heading_styles(paras: list[Para], body: float, outline: dict[str, set[int]]) -> set[Style]:
    """How this paper sets its top-level headings: the size and weight of the ones that are
    certain (in the outline, numbered, or a name every paper uses)."""
    styles: set[Style] = set()
    for para in paras:
        text = para.text.strip()
        if para.kind != "text" or len(text) > _MAX_HEADING_CHARS or not _styled(para, body):
            continue
        numbered = _NUMBERED.match(text)
        if numbered and numbered["sub"]:
            continue  # "2.1 Background" shows how subsections look
        name = _strip_number(text)
        certain = (
            para.page in outline.get(_norm(name), ())
            or _numbered_heading(text, after_refs=False)
            or (kind_of(name) in _CERTAIN_KINDS and len(name.split()) <= 3)
        )
        if certain:
            styles.add(_style(para))
    return styles


def _styled(para: Para, body: float) -> bool:
    raw = _bare(para.text)
    return para.bold or para.size >= body + 0.9 or (raw.isupper() and len(raw) > 3)


def _heading(
    para: Para,
    body: float,
    outline: dict[str, set[int]],
    after_refs: bool,
    styles: set[Style],
    following: list[Para],
) -> str | None:
    """The display name if ``para`` opens a top-level section."""
    text = para.text.strip()
    if para.kind != "text" or len(text) > _MAX_HEADING_CHARS or len(text.split()) > 12:
        return None
    name = _strip_number(text)
    if para.page in outline.get(_norm(name), ()):
        return name
    if para.page == 0 and _REPORT_LABEL.match(name):
        return None
    if not _styled(para, body) or (text.endswith((".", ",", ";")) and not _NUMBERED.match(text)):
        return None
    known = kind_of(name) in ("abstract", "references", "acknowledgements", "appendix")
    if known and len(name.split()) <= 4:
        return name
    numbered = _numbered_heading(text, after_refs)
    if numbered and not outline:
        return numbered
    if _NUMBERED.match(text) or _LETTERED.match(text):
        return None  # numbered, but a subsection or not in the outline
    return name if _unnumbered(para, name, body, styles) and _opens_text(following) else None


def _opens_text(following: list[Para]) -> bool:
    """A heading found by its style alone must be followed by text (a bold label inside a
    figure is followed by more labels, captions or tables)."""
    return any(p.kind == "text" and len(p.text.split()) >= _MIN_OPENING_WORDS for p in following)


def _unnumbered(para: Para, name: str, body: float, styles: set[Style]) -> bool:
    """A short unnumbered title set like the paper's sure headings ("Limitations",
    "Methodology"), or clearly above body text when the paper has no sure heading."""
    words = name.split()
    if len(words) > 8 or not name[:1].isupper() or name.endswith(":"):
        return False
    if sum(c.isalpha() for c in name) < 0.6 * len(name.replace(" ", "")):
        return False
    if styles:
        return _style(para) in styles
    return para.size >= body + 1.4 or (para.bold and para.size >= body + 0.9)


def _numbered_heading(text: str, after_refs: bool) -> str | None:
    match = _NUMBERED.match(text) or (_LETTERED.match(text) if after_refs else None)
    if not match or match["sub"]:
        return None
    title = match["title"]
    if (
        not title.lstrip("\"“‘'`(")[:1].isupper()
        or sum(c.isalpha() for c in title) < 3 * len(title) / 5
    ):
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
    """Without an "Abstract" heading, the abstract is the first body paragraph before section
    one: a long one, or failing that a shorter one that reads as prose."""
    if any(s.kind == "abstract" for s in sections):
        return
    first = next((i for i, p in enumerate(front) if p.kind == "text" and _long(p)), None)
    if first is None:
        first = next((i for i, p in enumerate(front) if p.kind == "text" and _prose(p)), None)
    if first is None:
        return
    if not any(s.kind in BODY_KINDS for s in sections) and front[first + 1 :]:
        # No headings at all (a letter-style paper): the rest is the body, not front matter.
        sections.insert(0, Section("Body", "other", front[first + 1 :]))
    sections.insert(0, Section("Abstract", "abstract", [front[first]]))


def _long(para: Para) -> bool:
    return len(para.text.split()) >= 60


def _prose(para: Para) -> bool:
    """Sentences, not an author list or an affiliation: most words start in lower case."""
    words = para.text.split()
    if len(words) < _MIN_ABSTRACT_WORDS or para.bold or not para.text.endswith("."):
        return False
    return sum(w[:1].islower() for w in words) >= 0.5 * len(words)


def _ensure_body(sections: list[Section]) -> None:
    """A paper whose headings were not found must not shrink to its abstract: what follows the
    abstract's first few hundred words becomes one body section."""
    if any(s.kind in BODY_KINDS for s in sections):
        return
    abstract = next((s for s in sections if s.kind == "abstract"), None)
    if abstract is None:
        return
    kept: list[Para] = []
    body: list[Para] = []
    words = 0
    for para in abstract.paras:
        count = len(para.text.split())
        if not body and words < _SHORT_ABSTRACT and words + count <= _MAX_ABSTRACT_WORDS:
            kept.append(para)
            words += count
        elif not body and not kept:
            # One block holds the abstract and the body: cut after the abstract's usual length.
            head, rest = _split_words(para, _ABSTRACT_WORDS)
            kept.append(head)
            body.extend([rest] if rest else [])
        else:
            body.append(para)
    abstract.paras = kept
    if body:
        sections.insert(sections.index(abstract) + 1, Section("Body", "other", body))


def _split_words(para: Para, words: int) -> tuple[Para, Para | None]:
    """``para`` cut at the first sentence end after ``words`` words."""
    for match in re.finditer(r"[.!?](?=\s+[A-Z])", para.text):
        if len(para.text[: match.end()].split()) >= words:
            cut = match.end()
            return replace(para, text=para.text[:cut]), replace(para, text=para.text[cut:].strip())
    return para, None


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
