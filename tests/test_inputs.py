"""kg.inputs.read_graph gives the graph rdflib's own parser gives (issue 7: it parses with pyoxigraph where
that is sure to be the same): lexical forms as rdflib normalizes them, language tags as written, blank nodes,
datatypes, and rdflib's parse wherever the quads could differ."""

from __future__ import annotations

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.compare import isomorphic

import rdflib

from kg.inputs import InputError, _graph_by_oxigraph, _NotSure, lexical_forms_kept, read_graph

XSD = "http://www.w3.org/2001/XMLSchema#"
# (format, text, whether pyoxigraph reads it). A bare numeral with leading zeros (007) is not among them:
# rdflib's Turtle parser rewrites it ("7") even with literals kept as written, where pyoxigraph keeps the
# token, as Turtle says; the fast path is the one that is right there.
CASES = [
    ("turtle", f'@prefix ex: <http://e/> . @prefix xsd: <{XSD}> . ex:a ex:b "036274"^^xsd:integer, "x"@zh-Hans, '
               '1.0e0, 7, true, "2020-01-01"^^xsd:date, "a\\u00e9\\n", """long\n"""@EN, [ ex:c _:x ] . '
               '_:x ex:d ( 1 2 ) .', True),
    ("turtle", f'@prefix ex: <http://e/> . ex:a ex:b "x"^^<{XSD}string> .', False),
    ("turtle", f'@prefix ex: <http://e/> . @prefix s: <{XSD}str> . ex:a ex:b "x"^^s:ing .', False),
    ("turtle", '@prefix ex: <http://e/> . ex:a ex:b "x"@en, "y"@EN .', False),
    ("turtle", '@prefix ex: <http://e/> . ex:a ex:b <relative> .', False),
    ("nt", f'<http://e/a> <http://e/b> "x"^^<{XSD}string> .\n', False),
    ("nt", f'_:b <http://e/b> "y"@zh-Hant .\n_:b <http://e/c> "2.50"^^<{XSD}decimal> .\n', True),
    ("nquads", '<http://e/a> <http://e/b> _:c <http://e/g> .\n_:c <http://e/b> "z" _:g .\n'
               '<http://e/a> <http://e/b> _:c .\n', True),
    ("trig", '@prefix ex: <http://e/> . ex:g { ex:a ex:b "x"@ko . } ex:a ex:b [] .', True),
]


def by_rdflib(text: str, fmt: str) -> Graph:
    """What rdflib's own parser reads, every literal as written (as kg parses)."""
    ds, g = Dataset(default_union=True), Graph()
    with lexical_forms_kept():
        if fmt in ("nt", "turtle"):
            ds.default_graph.parse(data=text, format=fmt)
        else:
            ds.parse(data=text, format=fmt)
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def terms(g: Graph) -> set:
    """Literals with what rdflib's equality ignores (the case of the language tag) spelled out."""
    return {(str(o), o.language, o.datatype) for o in g.objects() if isinstance(o, Literal)}


@pytest.mark.parametrize("fmt,text,fast", CASES)
def test_read_graph_is_rdflibs_graph(fmt, text, fast):
    try:
        _graph_by_oxigraph(text, fmt, Graph())
        used = True
    except _NotSure:
        used = False
    assert used is fast
    ours, theirs = read_graph(text, fmt, "case"), by_rdflib(text, fmt)
    assert isomorphic(ours, theirs)
    assert terms(ours) == terms(theirs)


@pytest.mark.parametrize("fmt", ["turtle", "trig"])  # turtle by pyoxigraph, trig with a relative IRI by rdflib
def test_literals_are_read_as_written(fmt):
    text = (f'@prefix ex: <http://e/> . @prefix xsd: <{XSD}> . '
            + ("ex:g { " if fmt == "trig" else "") + 'ex:a ex:b "1"^^xsd:boolean, "01"^^xsd:integer, <rel> .'
            + (" }" if fmt == "trig" else ""))
    values = {str(o) for o in read_graph(text, fmt, "case").objects() if isinstance(o, Literal)}
    assert values == {"1", "01"}  # rdflib alone would give "true" and "1"
    assert rdflib.NORMALIZE_LITERALS is True  # the switch is back as it was


def test_blank_nodes_of_two_reads_differ():
    text = "_:b <http://e/p> <http://e/o> .\n"
    assert set(read_graph(text, "nt", "a").subjects()).isdisjoint(read_graph(text, "nt", "b").subjects())


def test_a_triple_term_is_rdflibs_syntax_error():
    """pyoxigraph reads RDF 1.2 triple terms, rdflib has none: the error rdflib gives, with its line and column."""
    with pytest.raises(InputError) as err:
        read_graph('@prefix ex: <http://e/> .\nex:a ex:b <<( ex:a ex:b ex:c )>> .', "turtle", "case")
    assert err.value.line == 2 and "syntax" in err.value.message
