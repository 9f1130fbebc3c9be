"""The project's one error tree.

    DigestError                 anything the pipeline reports to a user
    ├── UsageError              bad flags or configuration          -> exit 2
    ├── ServiceError            HF / arXiv / LLM unreachable, 5xx   -> exit 1
    │   └── LLMConfigError      wrong key, wrong model, bad endpoint -> exit 1
    ├── PaperError              one paper failed; the night goes on
    │   ├── FetchError          its PDF could not be downloaded
    │   ├── ExtractionError     its PDF could not be read
    │   └── SummaryError        the LLM gave no usable summary
    ├── StoreError              data/ could not be read or written  -> exit 1
    └── ReviewRefused           an editorial action is not allowed  -> exit 1
        └── EditConflict        saved from a revision that is no longer current

Third-party errors are wrapped with ``raise ... from`` so ``--verbose`` still shows the cause.
Every message is one sentence a user can act on.
"""

from __future__ import annotations


class DigestError(Exception):
    exit_code = 1


class UsageError(DigestError):
    exit_code = 2


class ServiceError(DigestError):
    def __init__(self, service: str, url: str, problem: str, hint: str = "") -> None:
        self.service = service
        self.url = url
        self.problem = problem
        message = f"{service} failed at {url}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class LLMConfigError(ServiceError):
    pass


class StoreError(DigestError):
    pass


class PaperError(DigestError):
    def __init__(self, paper_id: str, problem: str) -> None:
        self.paper_id = paper_id
        self.problem = problem
        super().__init__(f"paper {paper_id}: {problem}")


class FetchError(PaperError):
    pass


class ExtractionError(PaperError):
    pass


class SummaryError(PaperError):
    def __init__(self, paper_id: str, problem: str, last_reply: str = "", attempts: int = 0):
        super().__init__(paper_id, problem)
        self.last_reply = last_reply
        self.attempts = attempts


class ReviewRefused(DigestError):
    """An editor's action was refused; nothing changed. ``problems`` lists why, one per line."""

    def __init__(
        self, message: str, problems: list[str] | None = None, *, not_found: bool = False
    ) -> None:
        self.problems = problems or []
        self.not_found = not_found
        self.message = message
        full = f"{message}: {'; '.join(self.problems)}" if self.problems else message
        super().__init__(full)


class EditConflict(ReviewRefused):
    """Someone saved the paper since the editor loaded it: both texts travel with the error."""

    def __init__(
        self,
        paper_id: str,
        base: int,
        current: int,
        theirs: dict[str, str],
        yours: dict[str, str],
    ) -> None:
        super().__init__(
            f"paper {paper_id}: revision {current} was saved since you loaded revision {base}; "
            "nothing was overwritten, reload and merge"
        )
        self.base, self.current, self.theirs, self.yours = base, current, theirs, yours
