"""Small generated PDFs for the layouts extraction round 2 handles: unnumbered headings, no
headings, tables with header rows and "-" cells, figures with text labels, compounds split at a
line end, Springer running headers, contents pages, front-matter notes.

Each builder places every line itself (no wrapping), so a test knows exactly where a line breaks.
"""

from __future__ import annotations

import pymupdf

from tests.pdfs import BODY_SIZE, HEIGHT, LEADING, MARGIN, WIDTH, wrap

FILLER = (
    "The model reads every problem once and writes a short plan before it answers, which keeps "
    "its reasoning on track when the problem has many steps. We measure how often the plan is "
    "followed and how often the final answer is right, across four benchmarks and three sizes. "
)


class Doc:
    """A cursor over a one-column document: headings, paragraphs and raw lines."""

    def __init__(self, top: float = MARGIN + 10) -> None:
        self.doc = pymupdf.open()
        self.top = top
        self.page = self.doc.new_page(width=WIDTH, height=HEIGHT)
        self.y = top

    def need(self, height: float) -> pymupdf.Page:
        if self.y + height > HEIGHT - MARGIN:
            self.page = self.doc.new_page(width=WIDTH, height=HEIGHT)
            self.y = self.top
        return self.page

    def text(
        self, line: str, *, size: float = BODY_SIZE, font: str = "helv", x: float = MARGIN
    ) -> None:
        self.need(LEADING).insert_text((x, self.y), line, fontname=font, fontsize=size)
        self.y += LEADING if size <= BODY_SIZE + 1 else size * 1.4

    def heading(self, title: str, *, size: float = 12, font: str = "hebo") -> None:
        self.need(LEADING * 4)
        self.y += LEADING * 0.6
        self.text(title, size=size, font=font)

    def paragraph(self, text: str, *, size: float = BODY_SIZE) -> None:
        for line in wrap(text, WIDTH - 2 * MARGIN, "helv", size):
            self.text(line, size=size)
        self.y += LEADING * 0.6

    def title(self, title: str, authors: str = "Ada Lovelace, Alan Turing") -> None:
        self.text(title, size=17, font="hebo")
        self.text(authors, size=11)
        self.y += LEADING

    def bytes(self) -> bytes:
        return self.doc.tobytes()


def unnumbered_headings_pdf() -> bytes:
    """Bold, larger, unnumbered headings and no outline; Limitations and Ethics at the end."""
    doc = Doc()
    doc.title("Planning Before Answering Helps Small Models")
    doc.heading("Abstract")
    doc.paragraph("SUMMARY-MARKER " + FILLER * 2)
    for name in ("Introduction", "Related Work", "Methodology", "Theory", "Results"):
        doc.heading(name)
        doc.paragraph(f"{name.upper().replace(' ', '')}-MARKER " + FILLER * 3)
        if name == "Methodology":  # a subsection: bold at body size, not a section
            doc.heading("Training Details", size=BODY_SIZE)
            doc.paragraph("SUBSECTION-MARKER " + FILLER)
        doc.text("Trailing words stay here.")  # a short prose line at body size
        doc.y += LEADING * 0.6
    doc.heading("Conclusion")
    doc.paragraph("CONCLUSION-MARKER " + FILLER)
    doc.heading("Limitations")
    doc.paragraph("LIMITATIONS-MARKER The study covers English benchmarks only. " + FILLER)
    doc.heading("Ethics Statement")
    doc.paragraph("ETHICS-MARKER No personal data was collected for this work. " + FILLER)
    doc.heading("References")
    doc.paragraph("[1] A. Author. REFERENCE-MARKER A paper about plans. 2024.", size=9)
    return doc.bytes()


def no_headings_pdf(*, abstract_heading: bool) -> bytes:
    """A letter-style paper: a title, an abstract and body paragraphs, no section headings."""
    doc = Doc()
    doc.title("A Short Note on Plans")
    if abstract_heading:
        doc.heading("Abstract")
    doc.paragraph("SUMMARY-MARKER " + FILLER * 2)
    for i in range(8):
        doc.paragraph(f"BODY{i}-MARKER " + FILLER * 3)
    return doc.bytes()


TABLE_ROWS = [
    ("Model", "GSM8K", "MATH", "Avg."),
    ("Dense 1.3B", "53.8", "-", "56.5"),
    ("RouteLM", "61.2", "25.5", "91.55"),
    ("Sparse 7B", "1128.0 - 56.5", "", ""),  # three values set close: MuPDF reads one line
]


def table_pdf() -> bytes:
    """A results table: caption above, a header row of names, "-" placeholder cells, and a
    standard deviation set as a subscript after a value."""
    doc = Doc()
    doc.title("Tables Arrive As Tables")
    doc.heading("1 Introduction")
    doc.paragraph(FILLER * 3)
    doc.heading("2 Experiments")
    doc.paragraph(FILLER * 2)
    doc.text("Table 1: Accuracy (%) of the models on two benchmarks.", size=9)
    doc.y += 4
    page = doc.page
    for row in TABLE_ROWS:
        for i, value in enumerate(row):
            x = MARGIN + 20 + i * 90
            page.insert_text((x, doc.y), value, fontname="helv", fontsize=8)
            if value == "91.55":
                width = pymupdf.get_text_length(value, fontname="helv", fontsize=8)
                page.insert_text((x + width + 0.5, doc.y + 2), "0.29", fontname="helv", fontsize=5)
        doc.y += LEADING
    doc.y += LEADING
    doc.paragraph("EXPERIMENT-MARKER " + FILLER * 2)
    doc.heading("3 Conclusion")
    doc.paragraph(FILLER)
    return doc.bytes()


FIGURE_LABELS = ("Ours", "Baseline", "Score (%)", "Training steps")


def figure_pdf() -> bytes:
    """A chart drawn with vector paths: tick labels, a legend and axis titles inside it, and
    its caption below."""
    doc = Doc()
    doc.title("Figures Stay Out Of The Context")
    doc.heading("1 Introduction")
    doc.paragraph(FILLER * 3)
    doc.heading("2 Results")
    doc.paragraph(FILLER)
    page = doc.page
    top = doc.y
    box = pymupdf.Rect(MARGIN + 40, top, MARGIN + 300, top + 160)
    page.draw_rect(box, color=(0, 0, 0))
    page.draw_polyline(
        [(box.x0, box.y1 - 10), (box.x0 + 80, box.y1 - 60), (box.x1, box.y0 + 20)],
        color=(0.2, 0.3, 0.9),
    )
    for i, tick in enumerate(("0", "20", "40", "60", "80")):
        page.insert_text((box.x0 - 16, box.y1 - i * 35), tick, fontsize=7)
    for i, tick in enumerate(("0", "1k", "2k", "3k")):
        page.insert_text((box.x0 + i * 80, box.y1 + 10), tick, fontsize=7)
    page.insert_text((box.x0 + 170, box.y0 + 14), "Ours", fontsize=7)
    page.insert_text((box.x0 + 170, box.y0 + 24), "Baseline", fontsize=7)
    page.insert_text((box.x0 - 34, box.y0 + 60), "Score (%)", fontsize=7)
    page.insert_text((box.x0 + 100, box.y1 + 22), "Training steps", fontsize=7)
    doc.y = box.y1 + 40
    doc.text("Figure 1: Accuracy during training. CAPTION-MARKER", size=9)
    doc.y += LEADING
    doc.paragraph("RESULTS-MARKER " + FILLER * 2)
    doc.heading("3 Conclusion")
    doc.paragraph(FILLER)
    return doc.bytes()


# Lines as a typesetter broke them: real compounds and plain words split at the line end.
HYPHEN_LINES = [
    "We fine-tune the released DeepSeek-",
    "R1 model and a human-",
    "written reference with self-",
    "attention over the whole con-",
    "text, then convert each table with a data-to-",
    "text model and report the re-",
    "sults for every benchmark we tried.",
]


def hyphen_pdf() -> bytes:
    doc = Doc()
    doc.title("Compounds Keep Their Hyphens")
    doc.heading("1 Introduction")
    doc.paragraph(FILLER * 2)
    for line in HYPHEN_LINES:
        doc.text(line)
    doc.y += LEADING
    doc.paragraph("Elsewhere the paper says data-to-text and human-written once more. " + FILLER)
    doc.heading("2 Conclusion")
    doc.paragraph(FILLER)
    return doc.bytes()


SPRINGER_TITLE = "Plans for Small Models"
SPRINGER_AUTHOR = "A. Lovelace et al."


def springer_pdf(pages: int = 6) -> bytes:
    """Running headers set well inside the page (about 11% down): "2 A. Lovelace et al." on
    even pages, the title and the page number on odd ones, body text right below."""
    doc = Doc(top=MARGIN + 40)
    doc.title(SPRINGER_TITLE + ": A Study")
    doc.heading("1 Introduction")
    while len(doc.doc) < pages:
        doc.paragraph(FILLER * 2)
    doc.heading("2 Conclusion")
    doc.paragraph("CONCLUSION-MARKER " + FILLER)
    y = HEIGHT * 0.11
    for page in doc.doc:
        number = page.number + 1
        if page.number == 0:
            continue
        if number % 2 == 0:
            page.insert_text((MARGIN, y), str(number), fontsize=8)
            page.insert_text((MARGIN + 20, y), SPRINGER_AUTHOR, fontsize=8)
        else:
            page.insert_text((WIDTH - MARGIN - 150, y), SPRINGER_TITLE, fontsize=8)
            page.insert_text((WIDTH - MARGIN - 10, y), str(number), fontsize=8)
    return doc.bytes()


CONTENTS = [
    ("1", "Introduction", "3"),
    ("1.1", "Contributions", "3"),
    ("2", "Approach", "4"),
    ("2.1", "Overview", "4"),
    ("2.2", "Training", "5"),
    ("3", "Experiments", "6"),
    ("4", "Conclusion", "7"),
]


def contents_pdf() -> bytes:
    """A technical report: abstract on page one, a contents page with dot leaders, then the
    numbered sections the contents lists."""
    doc = Doc()
    doc.title("A Technical Report on Plans")
    doc.heading("Abstract")
    doc.paragraph("SUMMARY-MARKER " + FILLER * 2)
    page = doc.doc.new_page(width=WIDTH, height=HEIGHT)
    page.insert_text((MARGIN, MARGIN + 10), "Contents", fontname="hebo", fontsize=14)
    y = MARGIN + 40
    for number, name, at in CONTENTS:
        indent = 0 if "." not in number else 20
        page.insert_text((MARGIN + indent, y), number, fontsize=BODY_SIZE)
        page.insert_text((MARGIN + indent + 25, y), name + " " + ". " * 30, fontsize=BODY_SIZE)
        page.insert_text((WIDTH - MARGIN - 10, y), at, fontsize=BODY_SIZE)
        y += LEADING * 1.4
    doc.page = doc.doc.new_page(width=WIDTH, height=HEIGHT)
    doc.y = doc.top
    for number, name, _ in CONTENTS:
        if "." not in number:
            doc.heading(f"{number} {name}")
            doc.paragraph(f"{name.upper()}-MARKER " + FILLER * 2)
    return doc.bytes()


def front_notes_pdf() -> bytes:
    """IEEE-style notes on page one (manuscript received, copyright, an author's affiliation
    with e-mail), an author block inside the Introduction, a control character, and a title
    set in capitals with a content warning after it."""
    doc = Doc()
    doc.text("PLANS MAKE LLMS REASON: A STUDY OF MOBA", size=17, font="hebo")
    doc.text("WARNING: This paper contains model outputs that may be offensive.", size=9)
    doc.y += LEADING
    doc.heading("Abstract")
    doc.paragraph("SUMMARY-MARKER LLMs reason better with MoBA plans. " + FILLER * 2)
    doc.heading("I. INTRODUCTION", size=BODY_SIZE, font="helv")
    doc.paragraph("INTRO-MARKER Large models (LLMs) plan with MoBA.\x10 " + FILLER * 2)
    # Some two-column templates put the author block in the first column, after the heading.
    doc.y += LEADING
    doc.text("Grace Hopper, Alan Turing, Ada Lovelace", size=11, x=MARGIN + 100)
    doc.text("Example University, Example Lab, Example Institute", size=11, x=MARGIN + 80)
    doc.y += LEADING
    doc.paragraph(FILLER)
    doc.y += LEADING
    doc.text("The loss can be written as:")
    doc.y += LEADING * 2
    doc.text("L = E [ log p ( y | x ) ]", x=MARGIN + 150)
    doc.y += LEADING
    doc.paragraph(FILLER)
    doc.y = HEIGHT - MARGIN - 4 * LEADING
    doc.text("Manuscript received May 1, 2024; revised June 2, 2024.", size=8)
    doc.text("A. Lovelace is with the Department of Computing, Example University (e-mail:", size=8)
    doc.text("ada@example.edu).", size=8)
    doc.text("© 2024 IEEE. Personal use of this material is permitted.", size=8)
    doc.page = doc.doc.new_page(width=WIDTH, height=HEIGHT)
    doc.y = doc.top
    doc.paragraph(FILLER * 3)
    doc.heading("II. CONCLUSION", size=BODY_SIZE, font="helv")
    doc.paragraph("CONCLUSION-MARKER " + FILLER)
    return doc.bytes()
