"""Settings: one object, built once by the CLI from flags and the environment, passed down.

Every external service has an endpoint the user can override. The OpenAI endpoint and key are
passed to the openai SDK from here (so a value in ``.env`` reaches it); the SDK's other
``OPENAI_*`` variables (organization, project) it reads from the process environment, so
``export_dotenv_openai`` copies those from ``.env`` there.

Settings come from, strongest first: a flag, the process environment, ``.env`` in the current
directory, the defaults below. ``.env.example`` lists every one (a test keeps it complete).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

HF_DEFAULT = "https://huggingface.co"
ARXIV_DEFAULT = "https://export.arxiv.org/api/query"
SLACK_DEFAULT = "https://slack.com/api/"
ENV_FILE = ".env"
"""Relative: the ``.env`` of the directory the command starts in."""

_PACKAGE = Path(__file__).resolve().parents[1]


def default_prompts_dir() -> Path:
    """The prompts shipped with the code: ``pipeline/prompts/`` in an installed wheel (setup.py
    maps the repository's ``prompts/`` there), else the checkout's top-level ``prompts/`` (an
    editable install or ``run.py``), which is the source of truth and has no copy in the tree."""
    return installed_prompts_dir() or _PACKAGE.parent / "prompts"


def installed_prompts_dir() -> Path | None:
    """The installed package's own copy of the prompts (in site-packages), if this is a wheel:
    read, never written (a new version there would vanish with the next install)."""
    installed = _PACKAGE / "prompts"
    return installed if installed.is_dir() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DIGEST_", extra="ignore", env_file=ENV_FILE, env_file_encoding="utf-8"
    )

    hf_endpoint: str = Field(default=HF_DEFAULT, validation_alias=AliasChoices("HF_ENDPOINT"))
    arxiv_api_url: str = Field(
        default=ARXIV_DEFAULT, validation_alias=AliasChoices("ARXIV_API_URL")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL")
    )
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY")
    )

    data_dir: Path = Path("data")
    """Relative to the directory the job starts in (cron: the user's home): give cron an
    absolute ``--data-dir`` or ``DIGEST_DATA_DIR``."""
    model: str = "gpt-4.1-mini"
    prompt: str = "summarize"
    """``name`` for the newest version, or ``name@vN`` for a fixed one."""
    prompts_dir: Path = Field(default_factory=default_prompts_dir)

    token_budget: int = Field(default=12_000, ge=100)
    """Tokens of paper text sent to the LLM (title and abstract always fit first)."""
    concurrency: int = Field(default=32, ge=1)
    """LLM calls in flight at once: a typical day (~30 papers) goes in one wave."""
    download_concurrency: int = Field(default=4, ge=1)
    """PDF downloads at once: arXiv asks for small bursts."""
    arxiv_delay_s: float = Field(default=3.0, ge=0)
    """Pause between arXiv API calls, per arXiv's guideline."""
    http_timeout_s: float = Field(default=60.0, gt=0)
    """Longest wait for any one read (or the connection) of an HTTP request."""
    llm_timeout_s: float = Field(default=180.0, gt=0)
    http_deadline_s: float = Field(default=300.0, gt=0)
    """Longest a whole HTTP request may take (listing, arXiv API, a PDF), however steadily the
    bytes trickle in."""
    llm_deadline_s: float = Field(default=600.0, gt=0)
    """Longest one LLM call may take, start to last byte."""
    max_pdf_mb: float = Field(default=50.0, gt=0)
    """A PDF larger than this is not downloaded: the paper is made from its abstract, flagged."""
    max_attempts: int = Field(default=5, ge=1)
    """Attempts per HTTP request (first try included) on 429, 5xx, timeouts."""
    max_backoff_s: float = Field(default=60.0, ge=0)
    batch_poll_s: float = 60.0
    """How often a Batch API run looks at its batches; it backs off to ``batch_poll_max_s``."""
    batch_poll_max_s: float = 600.0
    extract_workers: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 8), ge=1, le=64)
    """Processes extracting PDFs (PyMuPDF) in a night or a range, default the cores up to 8;
    1: one thread of the night's own process."""
    batch_online_retries: int = 20
    """Requests a Batch API run may send online when the batch could not answer them."""
    reasks: int = Field(default=2, ge=0)
    """Re-asks with the problem stated when a summary fails validation."""
    structured_output: Literal["auto", "json_schema", "json_object"] = "auto"
    faithfulness: Literal["review", "flag", "off"] = "review"
    """Numbers and names not in the paper: ``review`` re-asks once, then holds the paper for an
    editor; ``flag`` publishes with the flags; ``off`` does not check."""
    """``json_schema``, ``json_object``, or ``auto`` (json_schema; json_object once the server
    refuses it, remembered per server and model)."""
    max_cost_usd: float | None = None
    site_url: str | None = None
    """Where the static site is served (DIGEST_SITE_URL): feed links and Slack's day link."""
    slack_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN")
    )
    slack_channel: str | None = None
    """DIGEST_SLACK_CHANNEL: a channel id (C0123...) or name the bot was invited to."""
    slack_api_url: str = Field(
        default=SLACK_DEFAULT, validation_alias=AliasChoices("SLACK_API_URL")
    )
    smtp_url: str | None = None
    """DIGEST_SMTP_URL: ``smtp://user:pass@host:587`` (STARTTLS, required with a password),
    ``smtps://user:pass@host:465`` (implicit TLS), ``smtp://localhost:25`` (a local relay)."""
    mail_from: str | None = None
    """DIGEST_MAIL_FROM: the sender, ``Korean Daily Papers <digest@example.org>``."""
    mail_to: str | None = None
    """DIGEST_MAIL_TO: the recipients, comma-separated (``run.py email --to`` overrides)."""
    mail_unsubscribe: str | None = None
    """DIGEST_MAIL_UNSUBSCRIBE: a ``mailto:`` or ``https:`` URL for ``List-Unsubscribe``."""
    price_file: Path | None = None
    """A JSON file of extra model prices: ``{"model": {"input": $/1M, "output": $/1M}}``."""
    price_input: float | None = Field(default=None, ge=0)
    price_output: float | None = Field(default=None, ge=0)
    """DIGEST_PRICE_INPUT/OUTPUT: USD per 1M tokens of ``model``, over any table (``0`` for a
    local server, so ``--max-cost`` knows its price)."""


def export_dotenv_openai() -> None:
    """Copy the ``OPENAI_*`` lines of ``.env`` into the process environment, where the openai
    SDK looks for the ones we do not pass it; a variable already set wins, as for settings."""
    name = Settings.model_config.get("env_file")  # the one switch (tests turn .env off)
    if not isinstance(name, str | Path) or not Path(name).is_file():
        return
    env_file = Path(name)
    for name, value in dotenv_values(env_file, encoding="utf-8").items():
        if name.startswith("OPENAI_") and value is not None and name not in os.environ:
            os.environ[name] = value
