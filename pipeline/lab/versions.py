"""Prompt versions as a researcher handles them: list, start a new one, lock it, diff two.

A new version is a byte copy of the newest one under the next number, unlocked; nothing else in
``prompts/`` is touched, so making an experiment never changes what the night runs (a bare name
means the newest *locked* version). Locking records the file's sha256 in ``versions.lock``;
from then on every command refuses the version if the file changes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import installed_prompts_dir
from pipeline.core.errors import UsageError
from pipeline.core.hashing import sha256_bytes
from pipeline.stages.prompts import (
    LOCK_FILE,
    default_version,
    list_names,
    list_versions,
    load_prompt,
    lock_key,
    read_lock,
    version_path,
)
from pipeline.store import atomic_write


@dataclass(frozen=True)
class VersionInfo:
    name: str
    version: str
    path: Path
    content_hash: str
    state: str
    """``locked``, ``unlocked`` or ``changed`` (locked, and the file differs from its lock)."""
    default: bool


def version_infos(prompts_dir: Path) -> list[VersionInfo]:
    """Every version of every prompt, oldest first within a name."""
    lock = read_lock(prompts_dir)
    infos = []
    for name in list_names(prompts_dir):
        default = default_version(prompts_dir, name)
        for version in list_versions(prompts_dir, name):
            path = prompts_dir / name / f"{version}.yaml"
            digest = sha256_bytes(path.read_bytes())
            locked = lock.get(lock_key(name, version))
            state = "unlocked" if locked is None else "locked" if locked == digest else "changed"
            infos.append(VersionInfo(name, version, path, digest, state, version == default))
    return infos


def writable(prompts_dir: Path, command: str) -> None:
    """Refuse to write into the installed package's prompts (site-packages): the change would
    go with the next install, and the checkout it came from would never see it."""
    installed = installed_prompts_dir()
    if installed is None or prompts_dir.resolve() != installed.resolve():
        return
    raise UsageError(
        f"{command}: {prompts_dir} is the installed package's copy of the prompts, not for "
        f"writing; set DIGEST_PROMPTS_DIR to a checkout's prompts/ or a copy, e.g. "
        f'cp -r "{prompts_dir}" ./prompts && export DIGEST_PROMPTS_DIR="$PWD/prompts"'
    )


def new_version(prompts_dir: Path, name: str) -> Path:
    """Copy the newest version of ``name`` to v(n+1), unlocked; returns the new file's path."""
    writable(prompts_dir, "prompts new")
    versions = list_versions(prompts_dir, name)
    if not versions:
        load_prompt(prompts_dir, name)  # raises the usual "unknown prompt ..., available: ..."
    newest = versions[-1]
    number = int(newest[1:]) + 1
    source = prompts_dir / name / f"{newest}.yaml"
    target = prompts_dir / name / f"v{number}.yaml"
    try:
        with target.open("xb") as out:  # never overwrites: a version that exists stays as is
            out.write(source.read_bytes())
    except FileExistsError as exc:
        raise UsageError(f"{target} already exists") from exc
    return target


def lock_version(prompts_dir: Path, spec: str) -> tuple[str, bool]:
    """Record ``name@vN``'s hash in versions.lock. Returns (its lock line, whether it was
    added: False when it was locked already with this hash). A locked version whose file changed
    is refused (by ``load_prompt``), and so is a spec without a version."""
    writable(prompts_dir, "prompts lock")
    if "@" not in spec:
        raise UsageError(f"say which version to lock, e.g. {spec}@v3")
    template = load_prompt(prompts_dir, spec)  # checks the file, refuses a changed locked one
    key = lock_key(template.name, template.version)
    line = f"{key} {template.content_hash}"
    if template.locked:
        return line, False
    path = prompts_dir / LOCK_FILE
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    separator = "" if not existing or existing.endswith("\n") else "\n"
    atomic_write(path, (existing + separator + line + "\n").encode())
    return line, True


def diff_versions(prompts_dir: Path, old: str, new: str) -> list[str]:
    """A unified diff of two versions' files (``name@vA`` ``name@vB``); empty when equal. The
    files are read as they are, a changed locked one too (to see what changed)."""
    a, b = version_path(prompts_dir, old), version_path(prompts_dir, new)
    return list(
        difflib.unified_diff(
            a.read_text(encoding="utf-8").splitlines(),
            b.read_text(encoding="utf-8").splitlines(),
            fromfile=f"{a.parent.name}/{a.name}",
            tofile=f"{b.parent.name}/{b.name}",
            lineterm="",
        )
    )
