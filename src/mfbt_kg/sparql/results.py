"""Turning query results into what people and programs read.

SPARQL JSON/XML/CSV/TSV come from pyoxigraph's own serialisers; the table for
terminals shows each IRI's label beside it, so an analyst sees names, not hashes.
"""

from __future__ import annotations

import io

import pyoxigraph as ox

from mfbt_kg.sparql.store import Result, Store

# One label per resource, Norwegian first: used to annotate IRIs in tables.
LABEL_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?label WHERE {
  { ?resource skos:prefLabel ?label } UNION { ?resource rdfs:label ?label }
} ORDER BY DESC(LANG(?label) = "nb") DESC(LANG(?label) = "nn") LIMIT 1
"""

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "xml": ox.RdfFormat.RDF_XML,
                 "json-ld": ox.RdfFormat.JSON_LD}


def serialize(result: Result, fmt: str) -> bytes:
    """Bytes in ``fmt`` (json, xml, csv, tsv for rows and booleans; turtle, nt, xml for graphs)."""
    if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
        return result.serialize(format=RESULT_FORMATS["json" if fmt == "table" else fmt])
    triples = list(result)
    return ox.serialize(triples, format=GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE))


def rows(result: Result) -> tuple[list[str], list[dict[str, ox.NamedNode | ox.Literal | ox.BlankNode | None]]]:
    """Variable names and rows, for code that wants plain Python."""
    variables = [v.value for v in result.variables]
    return variables, [{name: solution[name] for name in variables} for solution in result]


def render_table(result: Result, store: Store) -> str:
    """A fixed-width table; IRIs get their label beside them."""
    if isinstance(result, ox.QueryBoolean):
        return "true" if bool(result) else "false"
    if not isinstance(result, ox.QuerySolutions):
        return serialize(result, "turtle").decode("utf-8")
    variables, data = rows(result)
    labels: dict[str, str | None] = {}
    cells = [[_cell(row[v], store, labels) for v in variables] for row in data]
    widths = [max([len(v)] + [len(c[i]) for c in cells]) for i, v in enumerate(variables)]
    out = io.StringIO()
    out.write("  ".join(v.ljust(w) for v, w in zip(variables, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
    out.write(f"({len(cells)} row{'s' if len(cells) != 1 else ''})\n")
    return out.getvalue()


def _cell(term: object, store: Store, labels: dict[str, str | None]) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        if term.value not in labels:
            found = list(store.query(LABEL_QUERY, {"resource": term}))
            labels[term.value] = found[0]["label"].value if found else None
        label = labels[term.value]
        return f"{label} <{term.value}>" if label else f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)
