"""The security review's forms that hid SERVICE, FROM or deep nesting from a guard that took ``<`` for an IRI
(findings 1 and 13): the guard's tests check each in process, the service's security tests over HTTP."""

from __future__ import annotations

LISTENER = "http://127.0.0.1:9999/"  # the review's listener; nothing here connects anywhere

DESYNC = {
    "S24": f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<'>' || true) SERVICE <{LISTENER}s24> {{ ?s ?p ?o }} }} #'",
    "S25": f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<='>' || true) SERVICE <{LISTENER}s25> {{ ?s ?p ?o }} }} #'",
    "S26": f"SELECT * WHERE {{ BIND(1<'>' AS ?b) SERVICE <{LISTENER}s26> {{ ?s ?p ?o }} }} #'",
    "S27": f"SELECT (1<'>' AS ?b) ?s WHERE {{ SERVICE <{LISTENER}s27> {{ ?s ?p ?o }} }} #'",
    "S28": f"SELECT * WHERE {{ BIND(1<'>' AS ?b) OPTIONAL {{ SERVICE SILENT <{LISTENER}s28> {{ ?s ?p ?o }} }} }} #'",
    "S36": "SELECT * WHERE { BIND(1<'>' AS ?b) SERVICE <http://127.0.0.1:9997/internal> { ?s ?p ?o } } #'",
    "F07": f"SELECT (1<'>' AS ?b) FROM <{LISTENER}f07> WHERE {{ ?s ?p ?o }} LIMIT 1 #'",
    "N45": "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTER(?a<?b#>"
    + ")" * 5000
    + "\n) FILTER("
    + "(" * 5000
    + "1"
    + ")" * 5000
    + ") }",
    "N49": "SELECT * WHERE { BIND(1<'>' AS ?b) FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") } #'",
    "N50": "SELECT * WHERE { BIND(1<'>' AS ?b) " + "{" * 5000 + "}" * 5000 + " } #'",
}
