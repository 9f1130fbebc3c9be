"""The only package that knows paths under the data dir. Every write is atomic.

<data>/<date>/hf_daily_papers.json      raw API snapshot (older differing ones kept, timestamped)
<data>/<date>/papers/<id>.json          PaperRecord: status, summary or draft, provenance
<data>/<date>/papers/history/<id>.*.json  superseded records (another prompt, model or input)
<data>/<date>/digest.md, digest.json    the published digest (a hand-edited one is kept aside)
<data>/<date>/run.json                  the last run's report
<data>/<date>/editorial-import.pending  the night's records still to enter editorial.sqlite3
<data>/<date>/published.md, .json       the editor-published digest (published.v<N>.* kept)
<data>/editorial.sqlite3                editorial state: revisions, states, publications
<data>/cache/arxiv/<id>.json            arXiv metadata
<data>/cache/pdf/<id>v<N>.pdf           PDFs, by id and version
<data>/cache/extract/<key>.json         extraction, by PDF hash, extractor version, budget,
                                        tokenizer
<data>/cache/llm/<key>.json             LLM replies, by (model, prompt hash, params, messages)
<data>/[<date>/]<area>/<name>.json      a feature's own documents (save_doc/load_doc/list_docs)
<data>/<area>/<name>                    a feature's other files (save_blob, blob_writer), and
                                        its nameless temp files (scratch)
<data>/cache/judge/<key>.json           the prompt lab's judge replies, apart from summaries
<data>/evals/<set>/<run id>/report.*    a prompt-lab run's report (JSON and HTML)

Records carry ``schema_version``; older ones are migrated on read (``migrations``). A record
that cannot be read is an error naming its path, never silently replaced.
"""

from __future__ import annotations

from ..core.hashing import sha256_bytes
from .caches import Caches
from .days import Days
from .docs import Docs
from .files import atomic_file, atomic_write
from .published import Published

__all__ = ["Store", "atomic_file", "atomic_write", "sha256_bytes"]


class Store(Days, Caches, Docs, Published):
    """The one façade over the data dir: each part keeps one kind of thing (see the modules)."""
