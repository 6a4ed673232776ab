"""What changed between releases: the quads added and removed from one build's ``dataset.nq`` to the next.

``kg build`` keeps its last releases in ``<dist>.releases/<UTC timestamp>-<n>/`` and every release's
``dataset.nq`` is canonical sorted N-Quads, so the change between two releases is the difference of their
lines. Nothing here writes: the published files stay a function of the sources alone (the same commit
builds the same bytes), and the change log is read from the releases that exist.
"""

from __future__ import annotations

import json
import time
from calendar import timegm
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Release:
    folder: Path
    version: str
    released: float  # seconds since the epoch, UTC, from the folder's name (else build.json's mtime)


@dataclass(frozen=True)
class Change:
    version: str
    previous: str | None
    released: float
    added: tuple[str, ...]  # N-Quads lines
    removed: tuple[str, ...]


def released_at(folder: Path) -> float:
    """When ``kg build`` wrote a release: its folder name (``%Y%m%dT%H%M%S-…``), else build.json's mtime."""
    try:
        return float(timegm(time.strptime(folder.name.split("-", 1)[0], "%Y%m%dT%H%M%S")))
    except ValueError:
        return (folder / "build.json").stat().st_mtime


def releases(served: Path) -> list[Release]:
    """The releases next to the served one, oldest first, up to and including it (a newer one is not
    served yet). A release whose version equals its predecessor's (a rebuild of the same content) is
    folded into that one."""
    served = served.resolve()
    parent = served.parent
    folders = [served]
    if parent.name.endswith(".releases"):
        folders = sorted(p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")
                         and p.name <= served.name and (p / "build.json").is_file() and (p / "dataset.nq").is_file())
    out: list[Release] = []
    for folder in folders:
        try:
            version = str(json.loads((folder / "build.json").read_text(encoding="utf-8"))["version"])
        except (OSError, ValueError, KeyError):
            continue
        if out and out[-1].version == version:
            continue
        out.append(Release(folder, version, released_at(folder)))
    return out


def diff(old: str, new: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(added, removed) N-Quads lines, each sorted."""
    a = {line for line in old.splitlines() if line.strip()}
    b = {line for line in new.splitlines() if line.strip()}
    return tuple(sorted(b - a)), tuple(sorted(a - b))


@lru_cache(maxsize=16)
def _change(previous: Path | None, release: Path, version: str, prev_version: str | None, when: float) -> Change:
    new = (release / "dataset.nq").read_text(encoding="utf-8")
    old = (previous / "dataset.nq").read_text(encoding="utf-8") if previous is not None else ""
    added, removed = diff(old, new)
    return Change(version, prev_version, when, added, removed)


def changes(served: Path) -> list[Change]:
    """One change per release, newest first; the oldest release kept counts everything as added."""
    rs = releases(served)
    out = []
    for i, r in enumerate(rs):
        prev = rs[i - 1] if i else None
        out.append(_change(prev.folder if prev else None, r.folder, r.version, prev.version if prev else None,
                           r.released))
    return out[::-1]
