"""The caches: arXiv metadata, PDFs by version, extractions, LLM replies and the lab judge's
replies. A cache entry of another shape is a miss, rebuilt and replaced."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ..core.errors import StoreError
from ..core.models import ArxivMeta, Extraction
from .files import Files, _safe, atomic_file


class Caches(Files):
    def load_arxiv(self, arxiv_id: str) -> ArxivMeta | None:
        return self._read_cache(
            self.root / "cache" / "arxiv" / f"{_safe(arxiv_id)}.json", ArxivMeta
        )

    def save_arxiv(self, meta: ArxivMeta) -> None:
        self._write_model(self.root / "cache" / "arxiv" / f"{_safe(meta.arxiv_id)}.json", meta)

    def _pdf_path(self, meta: ArxivMeta) -> Path:
        return self.root / "cache" / "pdf" / f"{_safe(meta.versioned_id)}.pdf"

    def load_pdf(self, meta: ArxivMeta) -> bytes | None:
        """The cached PDF of exactly this arXiv version, if it was downloaded."""
        return self._read_bytes(self._pdf_path(meta))

    def pdf_file(self, meta: ArxivMeta) -> Path | None:
        """The cached PDF's file, if it was downloaded: for a worker process to read (the
        night never holds a PDF whole)."""
        path = self._pdf_path(meta)
        return path if path.is_file() else None

    @contextlib.contextmanager
    def writing_pdf(self, meta: ArxivMeta) -> Iterator[BinaryIO]:
        """A file to stream a download into; stored as this version's PDF only if the block
        ends without an error (a failed or oversized download leaves nothing behind)."""
        path = self._pdf_path(meta)
        try:
            with atomic_file(path) as f:
                yield f
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", path) from exc

    def save_pdf(self, meta: ArxivMeta, data: bytes) -> Path:
        path = self._pdf_path(meta)
        self._write(path, data)
        return path

    def _extract_path(
        self, pdf_sha256: str, extractor_version: str, budget_tokens: int, tokenizer: str
    ) -> Path:
        name = f"{pdf_sha256}-{extractor_version}-b{budget_tokens}-{tokenizer}.json"
        return self.root / "cache" / "extract" / name

    def load_extraction(
        self, pdf_sha256: str, extractor_version: str, budget_tokens: int, tokenizer: str
    ) -> Extraction | None:
        """The extraction of this PDF by this extractor, for this budget counted in this
        tokenizer: a change of any of them is a miss."""
        path = self._extract_path(pdf_sha256, extractor_version, budget_tokens, tokenizer)
        return self._read_cache(path, Extraction)

    def save_extraction(self, extraction: Extraction) -> None:
        if extraction.budget_tokens is None or extraction.tokenizer is None:
            raise ValueError("an extraction is cached only with its budget and tokenizer")
        path = self._extract_path(
            extraction.pdf_sha256,
            extraction.extractor_version,
            extraction.budget_tokens,
            extraction.tokenizer,
        )
        self._write_model(path, extraction)

    def load_llm(self, key: str) -> dict[str, Any] | None:
        path = self.root / "cache" / "llm" / f"{key}.json"
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            value: dict[str, Any] = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"cannot read LLM cache {path}: {exc}", path) from exc
        return value

    def save_llm(self, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1).encode() + b"\n"
        self._write(self.root / "cache" / "llm" / f"{key}.json", data)

    def load_llm_server(self, key: str) -> dict[str, Any] | None:
        """What an LLM server was found to accept (its structured-output mode), by base URL and
        model, so the next run starts with what works."""
        data = self._read_bytes(self.root / "cache" / "llm-servers" / f"{key}.json")
        return None if data is None else self._json_object(data, "LLM server cache")

    def save_llm_server(self, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1).encode() + b"\n"
        self._write(self.root / "cache" / "llm-servers" / f"{key}.json", data)

    def load_judge(self, key: str) -> dict[str, Any] | None:
        """A prompt-lab judge reply: cached apart, so clearing one cache spares the other."""
        data = self._read_bytes(self.root / "cache" / "judge" / f"{key}.json")
        return None if data is None else self._json_object(data, "judge cache")

    def save_judge(self, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1).encode() + b"\n"
        self._write(self.root / "cache" / "judge" / f"{key}.json", data)
