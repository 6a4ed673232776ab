"""tests/graph_compare.py, the isomorphism check the SHACL report comparisons use, against rdflib's own."""

from __future__ import annotations

import random

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from graph_compare import forest, same_graph

EX = "http://example.org/"


def report(seed: int, results: int = 12) -> Graph:
    """A report-shaped graph: a root blank node, results with details and path lists, all blank."""
    rng = random.Random(seed)
    g = Graph()
    root = BNode()
    g.add((root, URIRef(EX + "conforms"), Literal(False)))
    for i in range(results):
        r = BNode()
        g.add((root, URIRef(EX + "result"), r))
        g.add((r, URIRef(EX + "focus"), URIRef(EX + f"n{rng.randrange(10)}")))
        g.add((r, URIRef(EX + "message"), Literal(f"m{rng.randrange(4)}", lang="en")))
        if rng.random() < 0.5:
            path = BNode()
            g.add((r, URIRef(EX + "path"), path))
            g.add((path, URIRef(EX + "inverse"), URIRef(EX + f"p{rng.randrange(3)}")))
        for _ in range(rng.randrange(3)):
            d = BNode()
            g.add((r, URIRef(EX + "detail"), d))
            g.add((d, URIRef(EX + "value"), Literal(rng.randrange(5))))
    g.add((URIRef(EX + "s"), URIRef(EX + "p"), Literal("plain")))
    return g


def relabelled(g: Graph) -> Graph:
    """The same graph with fresh blank nodes, triples added in another order."""
    fresh: dict = {}
    out = Graph()
    for s, p, o in sorted(g, key=repr, reverse=True):
        out.add(tuple(fresh.setdefault(t, BNode()) if isinstance(t, BNode) else t for t in (s, p, o)))
    return out


def test_relabelled_reports_are_the_same():
    for seed in range(6):
        g = report(seed)
        assert forest(g) is not None
        assert same_graph(g, relabelled(g)) and isomorphic(g, relabelled(g))


def test_every_single_change_is_seen():
    """Move one leaf value anywhere in the tree: both checks must say the graphs differ."""
    for seed in range(6):
        g = report(seed)
        for s, p, o in list(g):
            if isinstance(o, Literal):
                h = relabelled(g)
                changed = Graph()
                for t in g:
                    changed.add((s, p, Literal("changed")) if t == (s, p, o) else t)
                assert not same_graph(g, changed) and not isomorphic(g, changed)
                assert same_graph(g, h)
                break


def test_swapped_subtrees_are_seen():
    """Two results swapping their details: same triples up to the blank nodes' names, different shape."""
    g = Graph()
    r1, r2, d1, d2 = BNode(), BNode(), BNode(), BNode()
    for r, focus, d, value in ((r1, "a", d1, 1), (r2, "b", d2, 2)):
        g.add((r, URIRef(EX + "focus"), URIRef(EX + focus)))
        g.add((r, URIRef(EX + "detail"), d))
        g.add((d, URIRef(EX + "value"), Literal(value)))
    swapped = Graph()
    for s, p, o in g:
        swapped.add((s, p, {d1: d2, d2: d1}.get(o, o)))
    assert not same_graph(g, swapped) and not isomorphic(g, swapped)


def test_shared_and_cyclic_blank_nodes_fall_back_on_rdflib():
    shared, a, b = BNode(), BNode(), BNode()
    g = Graph()
    g.add((URIRef(EX + "x"), URIRef(EX + "p"), shared))
    g.add((URIRef(EX + "y"), URIRef(EX + "p"), shared))
    assert forest(g) is None and same_graph(g, relabelled(g))
    cycle = Graph()
    cycle.add((a, URIRef(EX + "next"), b))
    cycle.add((b, URIRef(EX + "next"), a))
    assert forest(cycle) is None and same_graph(cycle, relabelled(cycle))
    other = Graph()
    other.add((a, URIRef(EX + "next"), a))
    other.add((b, URIRef(EX + "next"), b))
    assert not same_graph(cycle, other)
