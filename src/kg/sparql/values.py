"""A VALUES block put at the start of a query's WHERE clause, so evaluation starts from the given terms.

Used for the server's own queries with bound variables (``evaluate.bound_query``) and for the SHACL-SPARQL
constraints evaluated for many focus nodes at once (``kg.validation.sparql``): pyoxigraph's ``substitutions``
filter the solutions after evaluation instead, hundreds of times slower on large data. The block is joined
under SPARQL's scoping: a nested FILTER does not see a value unless a pattern there binds the variable.
"""

from __future__ import annotations

import re

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def values_first(query: str, names: list[str], rows: list[list[str]]) -> str:
    """``query`` with ``VALUES (?names…) { (row…) … }`` opening its first (outermost) WHERE clause; the
    rows hold terms already written in SPARQL syntax. A query without the WHERE keyword gets the block at
    its end, where SPARQL allows it too."""
    block = "VALUES ({}) {{ {} }}".format(
        " ".join(f"?{name}" for name in names), " ".join("(" + " ".join(row) + ")" for row in rows)
    )
    where = _WHERE.search(query)
    if where is None:
        return f"{query}\n{block}"
    return f"{query[:where.end()]} {block}\n{query[where.end():]}"
