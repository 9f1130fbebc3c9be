"""The project's one error tree, and every exit code.

    Exception
    ├── DigestError                 anything the pipeline reports to a user (one line)
    │   ├── UsageError              bad flags or configuration            -> exit 2
    │   ├── ServiceError            HF / arXiv / LLM unreachable, 5xx     -> exit 1
    │   │   └── LLMConfigError      wrong key, wrong model, bad endpoint  -> exit 1
    │   ├── PaperError              one paper failed; the night goes on
    │   │   ├── FetchError          its PDF could not be downloaded
    │   │   ├── ExtractionError     its PDF could not be read
    │   │   └── SummaryError        the LLM gave no usable summary
    │   │       (carries .draft, .last_reply, .attempts, .usage)
    │   ├── StoreError              data/ could not be read or written    -> exit 1
    │   └── ReviewRefused           an editorial action is not allowed    -> exit 1
    │       └── EditConflict        saved from a revision that is no longer current
    └── CallFailure                 internal: one call failed; never reaches a user
        ├── TransientError          worth another try (429, 5xx, timeout); the retry loop
        │                           retries it, then raises ServiceError
        ├── ContextTooLong          the request did not fit the model's context; summarize cuts
        │                           the text (first ask) or leaves out the previous reply
        │                           (re-ask) and asks again, then keeps the best draft or
        │                           fails the paper
        └── RequestRejected         a 400 another identical try would not fix; summarize
                                    raises SummaryError

Third-party errors are wrapped with ``raise ... from`` so ``--verbose`` still shows the cause.
Every message is one sentence a user can act on.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Summary, Usage


class ExitCode(IntEnum):
    """What ``run.py`` exits with; cron and scripts read these."""

    OK = 0
    FATAL = 1
    """The run stopped (a service, the store or the configuration failed), or a night that
    listed papers published none of them."""
    USAGE = 2
    """Bad flags or settings (also click's own usage errors)."""
    ATTENTION = 3
    """The run finished and published, but some paper needs review, failed or is pending."""
    INTERRUPTED = 130
    """Ctrl-C: the same command resumes."""


class DigestError(Exception):
    exit_code: int = ExitCode.FATAL


class UsageError(DigestError):
    exit_code = ExitCode.USAGE


class ServiceError(DigestError):
    def __init__(self, service: str, url: str, problem: str, hint: str = "") -> None:
        self.service = service
        self.url = url
        self.problem = problem
        self.usage: Usage | None = None
        """Tokens the failed attempts consumed as far as they arrived (an LLM call timed out
        half-way is still billed)."""
        message = f"{service} failed at {url}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class LLMConfigError(ServiceError):
    pass


class StoreError(DigestError):
    """A file under the data dir could not be read, parsed or written; names the path."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path


class PaperError(DigestError):
    def __init__(self, paper_id: str, problem: str) -> None:
        self.paper_id = paper_id
        self.problem = problem
        super().__init__(f"paper {paper_id}: {problem}")

    def __reduce__(self) -> tuple[type[PaperError], tuple[str, str]]:
        # Raised in an extraction worker process, it must cross back to the night whole.
        return (type(self), (self.paper_id, self.problem))


class FetchError(PaperError):
    pass


class ExtractionError(PaperError):
    pass


class SummaryError(PaperError):
    """No usable summary: carries what the model last said, for an editor or a researcher."""

    def __init__(
        self,
        paper_id: str,
        problem: str,
        *,
        draft: Summary | None = None,
        last_reply: str | None = None,
        attempts: int = 0,
        usage: Usage | None = None,
        calls: int = 0,
    ) -> None:
        super().__init__(paper_id, problem)
        self.draft = draft
        self.last_reply = last_reply
        self.attempts = attempts
        self.usage = usage
        """What the requests that were answered before the failure consumed (for costing)."""
        self.calls = calls


class CallFailure(Exception):
    """Internal: one request failed; the caller retries, cuts or converts it."""


class TransientError(CallFailure):
    """A failure worth another try; ``retry_after`` is the server's own hint, in seconds."""

    def __init__(
        self, message: str, retry_after: float | None = None, usage: Usage | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.usage = usage
        """What this attempt consumed before it failed, if anything arrived."""


class ContextTooLong(CallFailure):
    """The request didn't fit the model's context: the caller cuts the text and asks again."""


class RequestRejected(CallFailure):
    """A 400 that another identical try would not fix."""


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
