"""What the extraction pool's fork server loads once, before it forks any worker.

Importing this module is its job: the fork server imports it (``pool.extraction_pool``), so
PyMuPDF, the extractor and the default tokenizer's tables (~0.5 s of CPU to load) are in
memory once, and every worker forked afterwards starts with them instead of loading them
again. Nothing else imports it.
"""

from __future__ import annotations

from ..core.tokens import load_encoding
from ..extract import extractor

load_encoding()


def extractor_version() -> str:
    return extractor.EXTRACTOR_VERSION
