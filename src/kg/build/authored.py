"""The hand-edited inputs: Turtle files under data/statements/ and ontology/, read and rebased.

``data/statements/<graph>/*.ttl`` go into the named graph ``<graph>`` (assertions or editorial). Files
are read in sorted order so the build does not depend on the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph
from rdflib.exceptions import ParserError

from ..inputs import lexical_forms_kept
from ..iris import GRAPHS, Iris

STATEMENTS = Path("data/statements")
ONTOLOGY = Path("ontology/kg.ttl")
SHAPES = Path("ontology/shapes")
INTERPOLATIONS = Path("data/source/interpolations.tsv")


class AuthoredError(ValueError):
    """An authored file does not parse, or is in the wrong place."""


def parse_turtle(path: Path, iris: Iris) -> Graph:
    """One Turtle file, with every IRI under the default base mapped onto ``iris.base``."""
    g = Graph()
    try:
        with lexical_forms_kept():  # literals as written, as kg reads every input (kg.inputs)
            g.parse(path, format="turtle")
    except (SyntaxError, ParserError, ValueError) as err:
        raise AuthoredError(f"{path}: {err}") from None
    if iris.base == Iris().base:
        return g
    out = Graph()
    for s, p, o in g:
        out.add((iris.rebase(s), iris.rebase(p), iris.rebase(o)))
    return out


@dataclass
class Authored:
    graphs: dict[str, Graph]  # named graph name -> triples as written (with ed: shorthand)
    ontology: Graph
    shapes: Graph
    interpolation_kinds: dict[str, str]  # bracket content -> concept slug
    files: list[Path]


def statement_files(root: Path) -> dict[str, list[Path]]:
    base = root / STATEMENTS
    found: dict[str, list[Path]] = {}
    for path in sorted(base.rglob("*.ttl")):
        graph = path.relative_to(base).parts[0]
        if graph not in GRAPHS or graph == "metadata" or len(path.relative_to(base).parts) != 2:
            raise AuthoredError(f"{path}: statement files live in data/statements/assertions/ or editorial/")
        found.setdefault(graph, []).append(path)
    return found


def read_interpolation_kinds(root: Path) -> dict[str, str]:
    path = root / INTERPOLATIONS
    kinds: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise AuthoredError(f"{path}:{n}: expected 'bracket text<TAB>kind'")
        if parts[0] in kinds:
            raise AuthoredError(f"{path}:{n}: {parts[0]!r} listed twice")
        kinds[parts[0]] = parts[1]
    return kinds


def read(root: Path, iris: Iris) -> Authored:
    files: list[Path] = []
    graphs: dict[str, Graph] = {}
    for name, paths in statement_files(root).items():
        g = Graph()
        for path in paths:
            g += parse_turtle(path, iris)
            files.append(path)
        graphs[name] = g
    ontology = parse_turtle(root / ONTOLOGY, iris)
    files.append(root / ONTOLOGY)
    shapes = Graph()
    for path in sorted((root / SHAPES).glob("*.ttl")):
        shapes += parse_turtle(path, iris)
        files.append(path)
    return Authored(graphs, ontology, shapes, read_interpolation_kinds(root), files)
