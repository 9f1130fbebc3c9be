"""The one content hash of the project: sha256 hex, of bytes, text or a JSON-able value."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Of a file's bytes, read in chunks: a large PDF is never held whole."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode())


def sha256_json(value: Any) -> str:
    """Of a canonical JSON form: key order does not change the hash."""
    return sha256_text(json.dumps(value, sort_keys=True, ensure_ascii=False))
