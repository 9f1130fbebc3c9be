"""Is this byte string a whole PDF? One check for the download and for the extractor."""

from __future__ import annotations


def pdf_problem(data: bytes) -> str | None:
    """What is wrong with ``data`` as a PDF file, or None. The header may follow a little junk
    (the PDF spec allows it within the first 1024 bytes); the end-of-file marker must be near
    the end, or the file was cut off."""
    if b"%PDF-" not in data[:1024]:
        return "not a PDF (no %PDF- header)"
    if b"%%EOF" not in data[-2048:]:
        return "truncated (no %%EOF end-of-file marker)"
    return None
