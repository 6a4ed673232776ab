"""Graph isomorphism for the report graphs the tests compare, fast where the blank nodes form a forest.

rdflib's ``isomorphic`` canonicalizes any graph, and took two thirds of the time of the tests that compare
kg's SHACL reports with pyshacl's on a graph with hundreds of violations. A SHACL report is a forest of
blank nodes (the report, its results, their details and paths, each the object of at most one triple), and
two forests are isomorphic exactly when their multisets of canonical trees are equal (each blank node
written as the sorted list of its predicates and objects, recursively); for any other graph this falls back
on rdflib's ``isomorphic``.
"""

from __future__ import annotations

from collections import Counter

from rdflib import BNode, Graph
from rdflib.compare import isomorphic


def same_graph(a: Graph, b: Graph) -> bool:
    """Whether ``a`` and ``b`` are isomorphic (blank nodes matched up, everything else equal)."""
    if len(a) != len(b):
        return False
    fa, fb = forest(a), forest(b)
    if fa is not None and fb is not None:
        return fa == fb
    return isomorphic(a, b)


def forest(g: Graph) -> Counter | None:
    """The multiset of ``g``'s top-level statements with every blank node written out as its tree; None
    when the blank nodes are not a forest (one is the object of two triples, or they make a cycle)."""
    incoming = Counter(o for o in g.objects() if isinstance(o, BNode))
    if any(n > 1 for n in incoming.values()):
        return None
    written: dict[BNode, tuple] = {}

    def tree(node):
        if not isinstance(node, BNode):
            return node
        if node not in written:
            written[node] = tuple(sorted(((p, tree(o)) for p, o in g.predicate_objects(node)), key=repr))
        return written[node]

    out: Counter = Counter()
    for s, p, o in g:
        if not (isinstance(s, BNode) and s in incoming):  # the others are written inside the tree that holds them
            out[(tree(s), p, tree(o))] += 1
    # a blank node held by one triple but never reached from a top-level statement is on a cycle
    return out if all(node in written for node in incoming) else None
