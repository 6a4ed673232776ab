"""Open the build for serving: read dist/build.json and load dist/dataset.nq into an on-disk
pyoxigraph store that query workers open read-only.

The store lives outside dist/ (only ``kg build`` writes there), in ``KG_STORE_DIR`` (default
``~/.cache/kg/stores``), one folder per dataset version; a folder is complete only once renamed into
place, so a half-loaded store is never served. Other versions' folders are removed.
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import RdfFormat, Store


class StoreError(RuntimeError):
    """The build is missing or unusable; the message names the file."""


@dataclass(frozen=True)
class BuildInfo:
    """What dist/build.json says about the build being served."""

    dist: Path
    version: str
    base_iri: str
    triples: int
    files: dict = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return self.dist / name


REQUIRED = ("build.json", "dataset.nq")


def read_build(dist: Path) -> BuildInfo:
    """Read and check dist/build.json; raise StoreError naming what is missing or malformed. A ``dist``
    that is a link to a release folder is resolved once, so a rebuild never changes what is served."""
    dist = dist.resolve()
    for name in REQUIRED:
        if not (dist / name).is_file():
            raise StoreError(f"{dist / name} is missing: run `kg build` first")
    try:
        meta = json.loads((dist / "build.json").read_text(encoding="utf-8"))
        version = str(meta["version"])
        base = str(meta["base_iri"])
        triples = int(meta["triples"])
    except (ValueError, KeyError, TypeError) as err:
        raise StoreError(f"{dist / 'build.json'} is malformed: {err}") from None
    if not version or "/" in version or version.startswith("."):
        raise StoreError(f"{dist / 'build.json'}: version {version!r} is not usable")
    return BuildInfo(dist, version, base, triples, dict(meta.get("files") or {}))


def store_root(settings) -> Path:
    """KG_STORE_DIR, else ~/.cache/kg/stores."""
    return settings.store_dir if settings.store_dir is not None else Path.home() / ".cache" / "kg" / "stores"


def prepare_store(build: BuildInfo, root: Path) -> Path:
    """The folder of an on-disk store holding dataset.nq for this build's version, loading it if needed."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / build.version
    if not (target / "LOADED").is_file():
        tmp = Path(tempfile.mkdtemp(prefix=f".{build.version}-", dir=root))
        try:
            store = Store(str(tmp / "db"))
            store.bulk_load(path=str(build.path("dataset.nq")), format=RdfFormat.N_QUADS)
            store.optimize()
            store.flush()
            del store
            gc.collect()
            (tmp / "LOADED").write_text(build.version + "\n", encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        except SyntaxError as err:
            raise StoreError(f"{build.path('dataset.nq')} does not parse: {err}") from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    for other in root.iterdir():
        if other.name != build.version and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)
    return target / "db"


def named_graphs(store_path: Path) -> list[str]:
    """The IRIs of the named graphs in a prepared store (opened read-only for the moment)."""
    store = Store.read_only(str(store_path))
    graphs = sorted(g.value for g in store.named_graphs())
    del store
    return graphs
