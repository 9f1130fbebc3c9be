"""Editors' text checked against the paper, as the night checks the model's (issue 10's checks).

The policy setting (``DIGEST_FAITHFULNESS``) decides what a number or name not in the paper does
to an edit: ``review`` refuses it, ``flag`` saves it with the flags on its revision, ``off``
does not look. Only what the edit *introduces* is refused: a flag the current text already had
(the night's slip the editor is fixing elsewhere, or a false flag the editor judged fine) must
not block a save or an approval. The paper is indexed once per Editorial, not per keystroke.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence

from ..core.config import Settings
from ..core.models import Flag, Summary
from ..faithfulness import SourceIndex, check_summary
from ..faithfulness.policy import Policy
from ..faithfulness.sources import paper_source, stored_extraction
from ..stages.validate import SECTION_TITLES
from ..store import Store
from .editorial import DEFAULT_CHECKERS, Checker, Editorial, Flagger
from .models import PaperState

CACHED_PAPERS = 64
"""Indexed papers kept per Editorial: more than a day's papers, bounded for a long-lived app."""


class Faithfulness:
    """The checks of one Editorial, with its per-paper cache of indexed sources."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._sources: OrderedDict[tuple[dt.date, str], SourceIndex] = OrderedDict()

    def source(self, paper: PaperState) -> SourceIndex:
        """The paper's full extracted text (extraction cache, else its stored PDF) with title
        and abstract; an abstract-only night is checked against the abstract."""
        key = (paper.date, paper.arxiv_id)
        if key in self._sources:
            self._sources.move_to_end(key)
            return self._sources[key]
        record = self.store.load_record(paper.date, paper.arxiv_id)
        if record is None:
            index = paper_source(paper.paper, None)
        else:
            index = paper_source(record.paper, stored_extraction(self.store, self.settings, record))
        self._sources[key] = index
        if len(self._sources) > CACHED_PAPERS:
            self._sources.popitem(last=False)
        return index

    def flags(self, summary: Summary, paper: PaperState) -> list[Flag]:
        """Every flag of the whole text (a Flagger: kept on the revision saved)."""
        return check_summary(summary, self.source(paper))

    def introduced(
        self, summary: Summary, sections: Sequence[str], paper: PaperState
    ) -> list[Flag]:
        """Flags in the named sections (and a wrong-paper verdict) that the current text has
        not: what this change brings in."""
        current = paper.current_revision
        before = set()
        if current is not None:
            before = {_key(f) for f in check_summary(current.summary, self.source(paper))}
        return [
            f
            for f in self.flags(summary, paper)
            if (f.section is None or f.section in sections) and _key(f) not in before
        ]

    def problems(self, summary: Summary, sections: Sequence[str], paper: PaperState) -> list[str]:
        """A Checker: one readable line per flag the change introduces."""
        return [problem_line(f) for f in self.introduced(summary, sections, paper)]


def _key(flag: Flag) -> tuple[str, str | None, str | None]:
    return flag.code, flag.section, flag.span


def problem_line(flag: Flag) -> str:
    """ "What's New: «236억»: the number 236억 (= 23,600,000,000) does not occur ..." """
    where = SECTION_TITLES.get(flag.section or "", "The summary as a whole")
    span = f" «{flag.span}»" if flag.span else ""
    return f"{where}{span}: {flag.detail}"


def editorial_checks(
    store: Store, settings: Settings
) -> tuple[tuple[Checker, ...], tuple[Flagger, ...]]:
    """The checkers and flaggers an editors' Editorial runs under the faithfulness policy."""
    policy = Policy(settings.faithfulness)
    if policy is Policy.OFF:
        return DEFAULT_CHECKERS, ()
    check = Faithfulness(store, settings)
    if policy is Policy.FLAG:
        return DEFAULT_CHECKERS, (check.flags,)
    return (*DEFAULT_CHECKERS, check.problems), (check.flags,)


def open_editorial(
    store: Store, settings: Settings, *, readonly: bool = False, timeout: float | None = None
) -> Editorial:
    """The Editorial editors use (web app, command-line twins): the validator, plus the
    faithfulness checks the policy setting asks for. ``readonly`` for reads that must not write
    the file; ``timeout``: how long to wait for another writer."""
    checkers, flaggers = editorial_checks(store, settings)
    if timeout is None:
        return Editorial(store, checkers, flaggers, readonly=readonly)
    return Editorial(store, checkers, flaggers, readonly=readonly, timeout=timeout)
