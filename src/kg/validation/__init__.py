"""Validation: our SHACL shapes (Core and SHACL-SPARQL) and violation queries over the build or anyone's RDF.

``run`` is the entry point (``kg validate``, the build, ``POST /validate``): one report type, grouped by
focus node, from kg's engine or from pyshacl as the reference. kg's engine, in the order it works:

- ``compile``: pyshacl's shape discovery, each shape compiled once, the plan of what kg runs and what it
  leaves to pyshacl;
- ``values``: the data and the ontology as per-predicate dictionaries, path values, result records;
- ``components`` and ``logical``: the SHACL Core constraint components (value tests and counts; those that
  refer to other shapes);
- ``sparql``: SHACL-SPARQL constraints evaluated by pyoxigraph, once per constraint for all focus nodes;
- ``engine``: evaluation of the compiled shapes over their targets;
- ``report``: the report graph, as pyshacl writes it.
"""
