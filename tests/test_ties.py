"""What is written in two places says the same in both.

- The kinds of resource: ``namespaces.KINDS``, the identifier rule of the shapes
  (``shape:SlugRule``), the prefix blocks of the Turtle files, and the IRIs the graph uses.
- The ``mfbt:`` terms the Python code names (``MFBT.x``, ``MFBT["x"]``, also through a loop over a
  literal list) are declared in ``ontology/mfbt.ttl``: a misspelt term would otherwise match
  nothing, silently. The concept schemes the catalogue's parameters name (``MFBT[scheme]`` in the
  functions of ``FROM_CATALOGUE``) are declared too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH, SKOS

from conftest import ROOT
from mfbt_kg.graph.files import graph_files
from mfbt_kg.namespaces import ID, KINDS, MFBT, PREFIXES

SRC = ROOT / "src" / "mfbt_kg"
# Functions whose MFBT[name] takes the name from the catalogue's parameter headers (``#+ param … Scheme``),
# checked by test_every_scheme_the_catalogue_names_is_declared instead.
FROM_CATALOGUE = {("src/mfbt_kg/pages/questions.py", "_options"), ("src/mfbt_kg/sparql/catalogue.py", "_in_scheme")}
ID_PREFIX = re.compile(r"^@prefix\s+([A-Za-z][\w-]*):\s*<" + re.escape(str(ID)) + r"([^/>]*)/>\s*\.", re.MULTILINE)


def _slug_rule_kinds(shapes: Graph) -> list[str]:
    """The alternatives of the kind group in shape:SlugRule's pattern (the one pattern over /id/(kind|…)/)."""
    patterns = [str(p) for p in shapes.objects(None, SH.pattern) if "/id/(" in str(p)]
    assert len(patterns) == 1, patterns
    group = re.search(r"/id/\(([^)]*)\)/", patterns[0])
    assert group, patterns[0]
    return group.group(1).split("|")


def test_kinds_are_the_slug_rules_kinds(shapes: Graph) -> None:
    kinds = _slug_rule_kinds(shapes)
    assert len(kinds) == len(set(kinds))
    assert set(kinds) == set(KINDS)


def test_kinds_are_the_kind_schemes_notations(graph: Graph) -> None:
    """mfbt:ResourceKindScheme (ontology/vocab-core.ttl) names the same kinds, one concept each."""
    concepts = set(graph.subjects(SKOS.inScheme, MFBT.ResourceKindScheme))
    notations = [str(graph.value(concept, SKOS.notation)) for concept in concepts]
    assert sorted(notations) == sorted(KINDS)


def test_prefix_blocks_name_each_kind_by_the_rule() -> None:
    """Every ``@prefix x: <…/id/{kind}/>`` in ontology/ and data/ttl/ is a known kind, named without hyphens."""
    declared: set[str] = set()
    for path in graph_files(ROOT):
        for name, kind in ID_PREFIX.findall(path.read_text(encoding="utf-8")):
            assert kind in KINDS, f"{path.relative_to(ROOT)}: @prefix {name}: names an unknown kind {kind!r}"
            assert name == kind.replace("-", ""), f"{path.relative_to(ROOT)}: @prefix {name}: for kind {kind!r}"
            declared.add(kind)
    assert declared == set(KINDS)
    assert {kind: str(PREFIXES[kind.replace("-", "")]) for kind in KINDS} == {kind: f"{ID}{kind}/" for kind in KINDS}


def test_every_iri_of_the_graph_has_a_known_kind(graph: Graph) -> None:
    base = str(ID)
    used = {
        str(term)[len(base) :].split("/", 1)[0]
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(base)
    }
    assert used <= set(KINDS), sorted(used - set(KINDS))
    assert {"offer", "unit", "figure", "source", "document"} <= used


# --- mfbt: terms named in the code -----------------------------------------------------------------


def _literal_strings(node: ast.AST) -> list[str] | dict[str, str] | None:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return value
    if isinstance(value, (tuple, list, set, frozenset)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


class _TermFinder(ast.NodeVisitor):
    """MFBT.x and MFBT["x"]; MFBT[name] where ``name`` runs over a literal list or a module constant."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.constants: dict[str, list[str] | dict[str, str]] = {}
        for stmt in tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                strings = _literal_strings(stmt.value)
                for target in targets:
                    if isinstance(target, ast.Name) and strings is not None:
                        self.constants[target.id] = strings
        self.scopes: list[dict[str, list[str]]] = []
        self.functions: list[str] = []
        self.terms: dict[str, list[str]] = {}
        self.unresolved: list[str] = []
        self.from_catalogue: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _iterated(self, target: ast.AST, iterable: ast.AST) -> dict[str, list[str]]:
        if isinstance(iterable, ast.Name) and iterable.id in self.constants:
            values = self.constants[iterable.id]
            pairs = list(values.items()) if isinstance(values, dict) else None
            items = list(values)
        elif (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Attribute)
            and isinstance(iterable.func.value, ast.Name)
            and isinstance(self.constants.get(iterable.func.value.id), dict)
        ):
            values = self.constants[iterable.func.value.id]
            method = iterable.func.attr
            pairs = list(values.items()) if method == "items" else None
            items = list(values.values()) if method == "values" else list(values)
        else:
            strings = _literal_strings(iterable)
            if strings is None or isinstance(strings, dict):
                return {}
            pairs, items = None, list(strings)
        if isinstance(target, ast.Name):
            return {target.id: items if pairs is None else [f"{k}" for k, _ in pairs]}
        if isinstance(target, ast.Tuple) and pairs is not None and len(target.elts) == 2:
            key, value = target.elts
            return {n.id: [p[i] for p in pairs] for i, n in enumerate((key, value)) if isinstance(n, ast.Name)}
        return {}

    def _with_generators(self, node: ast.AST, generators: list[ast.comprehension], parts: list[ast.AST]) -> None:
        scope: dict[str, list[str]] = {}
        for gen in generators:
            self.visit(gen.iter)
            scope.update(self._iterated(gen.target, gen.iter))
        self.scopes.append(scope)
        for part in parts:
            self.visit(part)
        for gen in generators:
            for cond in gen.ifs:
                self.visit(cond)
        self.scopes.pop()

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._with_generators(node, node.generators, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp  # type: ignore[assignment]

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._with_generators(node, node.generators, [node.key, node.value])

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.scopes.append(self._iterated(node.target, node.iter))
        for stmt in node.body + node.orelse:
            self.visit(stmt)
        self.scopes.pop()

    def _add(self, term: str, node: ast.AST) -> None:
        self.terms.setdefault(term, []).append(f"{self.path.relative_to(ROOT)}:{node.lineno}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id == "MFBT":
            self._add(node.attr, node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.value, ast.Name) and node.value.id == "MFBT":
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self._add(key.value, node)
            elif isinstance(key, ast.Name) and any(key.id in scope for scope in self.scopes):
                values = next(scope[key.id] for scope in reversed(self.scopes) if key.id in scope)
                for value in values:
                    self._add(value, node)
            elif self.functions and (str(self.path.relative_to(ROOT)), self.functions[-1]) in FROM_CATALOGUE:
                self.from_catalogue.append(f"{self.path.relative_to(ROOT)}:{node.lineno}")
            else:
                self.unresolved.append(f"{self.path.relative_to(ROOT)}:{node.lineno}")
        self.generic_visit(node)


def _named_terms() -> tuple[dict[str, list[str]], list[str]]:
    terms: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        finder = _TermFinder(path, tree)
        finder.visit(tree)
        for term, places in finder.terms.items():
            terms.setdefault(term, []).extend(places)
        unresolved += finder.unresolved
    return terms, unresolved


def test_every_mfbt_term_the_code_names_is_declared() -> None:
    ontology = Graph().parse(ROOT / "ontology" / "mfbt.ttl", format="turtle")
    declared = {str(s)[len(str(MFBT)) :] for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(MFBT))}
    terms, unresolved = _named_terms()
    assert not unresolved, f"MFBT[...] with a name this test cannot follow (spell the terms out): {unresolved}"
    missing = {term: places for term, places in terms.items() if term not in declared}
    assert not missing, f"not declared in ontology/mfbt.ttl: {missing}"
    assert len(terms) >= 5, terms  # the scan finds what the code names (the scanner itself: the test below)


def test_the_term_scan_catches_a_misspelling(tmp_path: Path) -> None:
    source = (
        'from x import MFBT\nNAMES = {"a": "valu"}\nA = MFBT.note\nB = [MFBT[n] for n in ("regoin",)]\n'
        "C = {k: MFBT[v] for k, v in NAMES.items()}\nD = MFBT[compute()]\n"
    )
    path = ROOT / "src" / "example.py"
    finder = _TermFinder(path, ast.parse(source))
    finder.visit(ast.parse(source))
    assert set(finder.terms) == {"note", "regoin", "valu"}
    assert finder.unresolved == ["src/example.py:6"]


def test_every_scheme_the_catalogue_names_is_declared(catalogue, graph: Graph) -> None:
    """A ``#+ param`` that takes a concept of a scheme names a scheme the ontology declares."""
    named = {scheme for query in catalogue.values() for param in query.parameters for scheme in param.schemes}
    assert named, "no catalogue parameter names a scheme: FROM_CATALOGUE has nothing to stand for"
    missing = sorted(s for s in named if (MFBT[s], RDF.type, SKOS.ConceptScheme) not in graph)
    assert not missing, f"schemes named by the catalogue but not declared as skos:ConceptScheme: {missing}"
