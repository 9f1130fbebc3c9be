"""Versioned prompt templates: ``prompts/<name>/v<N>.yaml``, one file per version.

A version that has produced a summary is never edited: its hash goes into every summary's
provenance and cache key, and ``prompts/versions.lock`` pins it (``<name>/vN.yaml <sha256>``, one
line a version). Loading a locked version whose file no longer has that hash is refused, in every
command, so a night never runs on a prompt that changed under it. A change to a prompt is a new
file, ``v<N+1>.yaml`` (``run.py prompts new NAME``): it runs when asked for by name (its
provenance then says it is unlocked), and becomes the default only once it is locked
(``run.py prompts lock NAME@vN``): a bare ``name`` means its newest *locked* version, or the
newest version when none is locked (a prompts dir without a lock file).

Templates are checked when loaded, not when first rendered, so a typo in a new version fails the
run before any LLM call is paid for.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.core.errors import UsageError
from pipeline.core.hashing import sha256_bytes

VARIABLES = frozenset({"title", "authors", "abstract", "text", "arxiv_id"})
"""What the summarize stage can fill in; a template may use any subset."""
VARIABLES_OF: dict[str, frozenset[str]] = {"judge": VARIABLES | {"summary_a", "summary_b"}}
"""Prompts other than a summary's, by name: the prompt lab's judge also sees two summaries."""


def variables_of(name: str) -> frozenset[str]:
    return VARIABLES_OF.get(name, VARIABLES)


def summary_names(prompts_dir: Path) -> list[str]:
    """The prompts that write a paper's summary: all but those with variables of their own
    (the judge), which no summary can be made with."""
    return [name for name in list_names(prompts_dir) if name not in VARIABLES_OF]


# No leading zeros: "v02" next to "v2" would make "newest" ambiguous.
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.yaml$")
_VERSION = re.compile(r"^v[1-9][0-9]*$")
# A plain folder name: "../x" must not reach outside prompts_dir.
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
LOCK_FILE = "versions.lock"

REASK_VARIABLES = frozenset({"problems"})
"""What a faithfulness re-ask can fill in."""


class PromptFile(BaseModel):
    """The on-disk format. Strict, so a misspelt key is an error instead of a silent default."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1)
    system: str = Field(min_length=1)
    user: str = Field(min_length=1)
    params: dict[str, Any]
    """Model parameters the template was tuned with (temperature, max_tokens, ...)."""
    faithfulness_reask: str | None = None
    """The re-ask for numbers and names the paper does not contain, in the prompt's language;
    ``{problems}`` is replaced by the list of them. Without it, no such re-ask is made."""


class PromptTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    description: str
    system: str
    user: str
    params: dict[str, Any]
    faithfulness_reask: str | None = None
    path: Path
    content_hash: str
    """sha256 hex of the file's bytes: what provenance and the lock file record."""
    locked: bool = True
    """False for a version not in ``versions.lock`` yet (an experiment)."""


def prompt_tag(template: PromptTemplate) -> str:
    """How run.json names the prompt of a run: name, version and the start of its hash, and
    ``(unlocked)`` when the version is not locked, so a night made from an experiment shows."""
    tag = f"{template.name}@{template.version}#{template.content_hash[:12]}"
    return tag if template.locked else f"{tag} (unlocked)"


def read_lock(prompts_dir: Path) -> dict[str, str]:
    """``versions.lock``: ``name/vN.yaml`` -> sha256 hex; empty when there is no lock file.
    Blank lines and ``#`` comments are skipped."""
    path = prompts_dir / LOCK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[1]):
            raise UsageError(
                f"{path} line {number} is not '<name>/vN.yaml <sha256>': {line.strip()[:80]!r}"
            )
        entries[parts[0]] = parts[1]
    return entries


def lock_key(name: str, version: str) -> str:
    return f"{name}/{version}.yaml"


def default_version(prompts_dir: Path, name: str) -> str | None:
    """The version a bare ``name`` means: the newest locked one, else the newest (no lock)."""
    versions = list_versions(prompts_dir, name)
    lock = read_lock(prompts_dir)
    locked = [v for v in versions if lock_key(name, v) in lock]
    chosen = locked or versions
    return chosen[-1] if chosen else None


def check_locked(path: Path, name: str, version: str, digest: str, lock: dict[str, str]) -> bool:
    """True when the version is locked with this hash, False when it is not locked; raises
    UsageError when it is locked and the file changed since."""
    locked = lock.get(lock_key(name, version))
    if locked is None:
        return False
    if locked != digest:
        raise UsageError(
            f"prompt file {path} changed after it was locked (versions.lock has "
            f"{locked[:12]}, the file is {digest[:12]}); a locked version never changes: restore "
            f"it (git checkout -- {path}) and put the change in a new version "
            f"(run.py prompts new {name})"
        )
    return True


def list_versions(prompts_dir: Path, name: str) -> list[str]:
    """The versions of ``name`` on disk, oldest first (numeric order: v2 before v10)."""
    folder = prompts_dir / name
    if not folder.is_dir():
        return []
    numbers = [
        int(match.group(1))
        for entry in folder.iterdir()
        if entry.is_file() and (match := _VERSION_FILE.match(entry.name))
    ]
    return [f"v{number}" for number in sorted(numbers)]


def list_names(prompts_dir: Path) -> list[str]:
    """Prompt names that have at least one version."""
    if not prompts_dir.is_dir():
        return []
    return sorted(
        entry.name
        for entry in prompts_dir.iterdir()
        if entry.is_dir() and list_versions(prompts_dir, entry.name)
    )


def load_prompt(prompts_dir: Path, spec: str) -> PromptTemplate:
    """Load ``name`` (its default version: the newest locked one) or ``name@vN`` (that
    version), checked: a locked version whose file changed is refused (UsageError)."""
    name, version = _resolve(prompts_dir, spec)
    path = prompts_dir / name / f"{version}.yaml"
    raw = path.read_bytes()
    digest = sha256_bytes(raw)
    locked = check_locked(path, name, version, digest, read_lock(prompts_dir))
    parsed = _parse(path, raw)
    for role, text in (("system", parsed.system), ("user", parsed.user)):
        _check_placeholders(path, role, text, variables_of(name))
    if parsed.faithfulness_reask is not None:
        _check_placeholders(path, "faithfulness_reask", parsed.faithfulness_reask, REASK_VARIABLES)
    return PromptTemplate(
        name=name,
        version=version,
        description=parsed.description,
        system=parsed.system,
        user=parsed.user,
        params=parsed.params,
        faithfulness_reask=parsed.faithfulness_reask,
        path=path,
        content_hash=digest,
        locked=locked,
    )


def version_path(prompts_dir: Path, spec: str) -> Path:
    """The file of ``name[@vN]``, without loading or checking it (to show or diff it)."""
    name, version = _resolve(prompts_dir, spec)
    return prompts_dir / name / f"{version}.yaml"


def render_messages(template: PromptTemplate, **variables: str) -> list[dict[str, str]]:
    """The chat messages for one paper. Values are inserted verbatim: braces in a paper's text
    are not parsed, only the template's own are."""
    unknown = sorted(set(variables) - variables_of(template.name))
    if unknown:
        raise TypeError(f"render_messages got unknown variables: {', '.join(unknown)}")
    missing = sorted((placeholders(template.system) | placeholders(template.user)) - set(variables))
    if missing:
        raise UsageError(
            f"prompt {template.path} needs {', '.join(missing)}, which the caller did not supply"
        )
    return [
        {"role": "system", "content": template.system.format_map(variables)},
        {"role": "user", "content": template.user.format_map(variables)},
    ]


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a template text uses (escaped ``{{`` ``}}`` are literal braces)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


# ---- loading helpers ---------------------------------------------------------------------------


def _resolve(prompts_dir: Path, spec: str) -> tuple[str, str]:
    """Split ``name[@vN]`` and check that it exists, naming what does when it doesn't."""
    name, _, version = spec.partition("@")
    versions = list_versions(prompts_dir, name) if _NAME.match(name) else []
    if not versions:
        known = ", ".join(list_names(prompts_dir)) or "none"
        raise UsageError(f"unknown prompt {name!r} in {prompts_dir}; available: {known}")
    if not version:
        return name, default_version(prompts_dir, name) or versions[-1]
    if not _VERSION.match(version) or version not in versions:
        raise UsageError(
            f"prompt {name!r} has no version {version!r}; available: {', '.join(versions)}"
        )
    return name, version


def _parse(path: Path, raw: bytes) -> PromptFile:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise UsageError(f"prompt file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"prompt file {path} must be a mapping of description/system/user/params")
    try:
        return PromptFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors()
        )
        raise UsageError(f"prompt file {path} is invalid: {problems}") from exc


def _check_placeholders(path: Path, role: str, text: str, known: frozenset[str]) -> None:
    """Every ``{...}`` must be a plain known variable; literal braces must be doubled."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone "{" or "}"
        raise UsageError(
            f"prompt file {path}: {role} message has an unescaped brace ({exc}); "
            "write literal braces as {{ and }}"
        ) from exc
    for _, field, spec, conversion in fields:
        if field is None:
            continue
        if field not in known or spec or conversion:
            raise UsageError(
                f"prompt file {path}: {role} message uses unknown variable "
                f"{{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}; "
                f"known: {', '.join(sorted(known))} (literal braces are written {{{{ and }}}})"
            )
