"""The export bundle: every file parses back to the graph, the DCAT description is true
to the files and conforms to DCAT-AP-NO 2.0 as the national catalogue checks it, the
same input gives the same bytes, and a graph the shapes reject is never exported."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as vocab
from rdflib.compare import isomorphic

from conftest import ROOT
from mfbt_kg.cli import main
from mfbt_kg.graph.files import load_graph
from mfbt_kg.graph.validate import InvalidGraphError
from mfbt_kg.namespaces import (
    CATALOG_IRI,
    DATASET_IRI,
    EU_COUNTRY,
    EU_DATA_THEME,
    EU_LICENCE,
    LOS_HEALTH_AND_CARE,
    ONTOLOGY_IRI,
    ORGANIZATION_CATALOG,
    PROJECT_AGENT_IRI,
    SCHEMA,
    SPDX,
)
from mfbt_kg.publish.bundle import export_bundle, publication
from mfbt_kg.publish.settings import PublishSettings, SettingsError, check_orgnr
from mfbt_kg.sparql.catalogue import load_catalogue

DCAT_AP_NO = Path(__file__).parent / "external" / "dcat-ap-no"
DESCRIPTION_FILES = {"dcat.ttl", "void.ttl", "README.md", "SHA256SUMS"}
DUMPS = {
    "data/mfbt-kg.ttl": "turtle",
    "data/mfbt-kg.nt": "nt",
    "data/mfbt-kg.rdf": "xml",
    "data/mfbt-kg.jsonld": "json-ld",
    "data/mfbt-kg.standalone.jsonld": "json-ld",
}
# rdflib's closed DCAT and XSD namespaces warn when pytest probes module attributes; open copies do not.
DCAT, XSD = Namespace(str(vocab.DCAT)), Namespace(str(vocab.XSD))
DCTERMS, OWL, RDF, VOID = vocab.DCTERMS, vocab.OWL, vocab.RDF, vocab.VOID
DATASET = URIRef(DATASET_IRI)
# Digitaliseringsdirektoratet's number, as the DCAT-AP-NO shapes file names it: a real number to test
# the configured-publisher path with, never a default.
TEST_ORGNR = "991825827"


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> tuple[Path, Graph]:
    """One export for the whole module, and the graph it was made from."""
    graph = load_graph(ROOT)
    out = tmp_path_factory.mktemp("export") / "bundle"
    export_bundle(ROOT, out, PublishSettings())
    return out, graph


@pytest.fixture(scope="session")
def bundle(exported) -> Path:
    return exported[0]


@pytest.fixture(scope="session")
def dcat(bundle: Path) -> Graph:
    return Graph().parse(bundle / "dcat.ttl", format="turtle")


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def dcat_ap_no_report(data: Graph) -> tuple[bool, str]:
    """Validate as the national validator does (dcat-ap-no-validator-service): the profile's shapes, its
    ontology graph beside the data, RDFS inference, warnings count. Offline: owl:imports are not fetched,
    and the description states the authority-table entries it uses itself."""
    conforms, _, text = shacl_validate(
        data_graph=data,
        shacl_graph=Graph().parse(DCAT_AP_NO / "DCAT-AP-NO-shacl_shapes_2.00.ttl"),
        ont_graph=Graph().parse(DCAT_AP_NO / "ontologies.ttl"),
        inference="rdfs",
        inplace=False,
        meta_shacl=False,
        do_owl_imports=False,
        advanced=False,
    )
    return bool(conforms), text


# --- the files ----------------------------------------------------------------------


def test_sha256sums_cover_every_file(bundle: Path) -> None:
    files = files_of(bundle)
    listed = {}
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, path = line.split("  ", 1)
        listed[path] = digest
    assert set(listed) == set(files) - {"SHA256SUMS"}
    for path, digest in listed.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside rdflib
@pytest.mark.parametrize("path", sorted(DUMPS))
def test_dump_parses_back_to_the_graph(path: str, exported) -> None:
    bundle, graph = exported
    fmt = DUMPS[path]
    if path == "data/mfbt-kg.jsonld":
        document = json.loads((bundle / path).read_text(encoding="utf-8"))
        assert document["@context"] == "context.jsonld", "the dump names its context file, relative to itself"
        context = json.loads((bundle / "data" / "context.jsonld").read_text(encoding="utf-8"))
        document["@context"] = context["@context"]  # the local file, inlined: nothing is fetched
        parsed = Graph().parse(data=json.dumps(document), format="json-ld")
    else:
        parsed = Graph().parse(bundle / path, format=fmt)
    assert len(parsed) == len(graph)
    assert isomorphic(parsed, graph), f"{path} does not hold the same triples as the graph"


def test_model_files_are_copied_unchanged(bundle: Path) -> None:
    for source in sorted((ROOT / "ontology").glob("*.ttl")):
        assert (bundle / "ontology" / source.name).read_bytes() == source.read_bytes(), source.name
        Graph().parse(bundle / "ontology" / source.name, format="turtle")


def test_one_csv_per_runnable_query(bundle: Path, store) -> None:
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    for name, query in load_catalogue(ROOT).items():
        path = bundle / "queries" / f"{name}.csv"
        needed = [p for p in query.parameters if p.required]
        assert (bundle / "queries" / f"{name}.rq").read_bytes() == query.path.read_bytes(), name
        if needed and not all(p.type == "resource" and p.kinds for p in needed):
            assert not path.exists(), f"{name} needs a value no resource list gives, yet has a CSV"
            assert f"`{name}`" in readme, f"skipped query {name} is not listed in the README"
            continue
        if needed:  # run once per resource it accepts: the values asked for lead, then the query's columns
            rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
            assert rows[0][: len(needed)] == [
                p.name if p.name not in rows[0][len(needed) :] else p.name + "_asked" for p in needed
            ], name
            assert rows[0][len(needed) :] == [c.name for c in query.columns], name
            continue
        if not path.exists():
            assert re.search(rf"`{re.escape(name)}`.*default does not resolve", readme), name
            continue
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        result = store.select(query.sparql)  # defaults only matter for the row values, not the columns
        assert rows[0] == list(result.variables), name
        assert all(len(row) == len(rows[0]) for row in rows), f"{name}: ragged CSV"


# --- the DCAT description -----------------------------------------------------------


def test_dataset_has_what_dcat_ap_no_asks(dcat: Graph, store) -> None:
    def texts(subject, predicate) -> dict[str | None, str]:
        return {o.language: str(o) for o in dcat.objects(subject, predicate)}

    assert (DATASET, RDF.type, DCAT.Dataset) in dcat
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert {"nb", "en"} <= set(texts(DATASET, predicate)), predicate
    assert {o.language for o in dcat.objects(DATASET, DCAT.keyword)} >= {"nb", "en"}
    assert dcat.value(DATASET, DCTERMS.publisher) == URIRef(PROJECT_AGENT_IRI)
    assert dcat.value(DATASET, DCTERMS.license) == EU_LICENCE["NLOD_2_0"]
    assert EU_DATA_THEME["HEAL"] in set(dcat.objects(DATASET, DCAT.theme))
    assert dcat.value(DATASET, DCTERMS.spatial) == EU_COUNTRY["NOR"]
    assert dcat.value(dcat.value(DATASET, DCAT.contactPoint), RDF.type) is not None
    ontology_modified = store.select(f"SELECT ?m WHERE {{ <{ONTOLOGY_IRI}> <{DCTERMS.modified}> ?m }}").rows[0][0].value
    assert str(dcat.value(DATASET, DCTERMS.modified)) == ontology_modified, "modified comes from the ontology"
    assert dcat.value(DATASET, OWL.versionInfo) is not None
    assert dcat.value(DATASET, DCTERMS.issued) is None, "no issued date unless configured: no clock"
    period = dcat.value(DATASET, DCTERMS.temporal)
    start, end = (dcat.value(period, DCAT.startDate), dcat.value(period, DCAT.endDate))
    assert start.datatype == end.datatype == XSD.date
    # The seeds' dated facts run from the Ministry's 2010 assignment (sent 19 March 2010, per
    # Fellesaksjonen's founding document) to the UNN figures (Oct 2021).
    assert int(str(start)[:4]) == 2010 and 2018 <= int(str(end)[:4]) <= 2021, (start, end)


def test_sparql_endpoint_is_a_data_service(dcat: Graph) -> None:
    services = list(dcat.subjects(RDF.type, DCAT.DataService))
    assert len(services) == 1
    assert dcat.value(services[0], DCAT.endpointURL) == URIRef(PublishSettings().endpoint_url)
    assert dcat.value(services[0], DCAT.servesDataset) == DATASET
    assert (URIRef(CATALOG_IRI), DCAT.service, services[0]) in dcat


def test_every_file_is_a_distribution_with_true_size_and_checksums(bundle: Path, dcat: Graph) -> None:
    files = {p: d for p, d in files_of(bundle).items() if p not in DESCRIPTION_FILES}
    by_url = {str(dcat.value(d, DCAT.downloadURL)): d for d in dcat.objects(DATASET, DCAT.distribution)}
    base = PublishSettings().base_url
    assert set(by_url) == {base + path for path in files}
    for path, data in files.items():
        node = by_url[base + path]
        assert dcat.value(node, DCTERMS.format) and dcat.value(node, DCAT.mediaType), path
        size = dcat.value(node, DCAT.byteSize)
        assert size.datatype == XSD.decimal and int(size) == len(data), path
        assert str(dcat.value(node, SCHEMA.sha256)) == hashlib.sha256(data).hexdigest(), path
        checksum = dcat.value(node, SPDX.checksum)
        assert dcat.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha1
        assert str(dcat.value(checksum, SPDX.checksumValue)) == hashlib.sha1(data).hexdigest(), path


def test_dcat_conforms_to_dcat_ap_no(dcat: Graph) -> None:
    conforms, text = dcat_ap_no_report(dcat)
    assert conforms, text


def test_configured_publisher_conforms_too() -> None:
    settings = PublishSettings(
        publisher_orgnr=TEST_ORGNR,
        issued="2026-12-01",
        contact_email="kontakt@example.org",
        base_url="https://data.example.org/mfbt-kg",
        endpoint_url="https://data.example.org/sparql",
    )
    description = publication(ROOT, settings).description
    assert description.value(DATASET, DCTERMS.publisher) == ORGANIZATION_CATALOG[TEST_ORGNR]
    assert description.value(DATASET, DCTERMS.issued) == Literal("2026-12-01", datatype=XSD.date)
    assert str(description.value(DATASET, VOID.dataDump)).startswith("https://data.example.org/mfbt-kg/data/")
    conforms, text = dcat_ap_no_report(description)
    assert conforms, text


def test_service_description_equals_the_bundle(bundle: Path) -> None:
    written = Graph().parse(bundle / "dcat.ttl")
    written += Graph().parse(bundle / "void.ttl")
    assert isomorphic(publication(ROOT, PublishSettings()).description, written)


def test_void_counts_the_graph(exported) -> None:
    bundle, graph = exported
    void = Graph().parse(bundle / "void.ttl")
    assert int(void.value(DATASET, VOID.triples)) == len(graph)
    for name in ("entities", "classes", "properties", "distinctSubjects", "distinctObjects"):
        assert int(void.value(DATASET, VOID[name])) > 0, name
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef(PublishSettings().endpoint_url)
    assert len(set(void.objects(DATASET, VOID.dataDump))) == len(DUMPS)
    examples = set(void.objects(DATASET, VOID.exampleResource))
    assert examples and all((e, None, None) in graph for e in examples)


def test_readme_says_the_publisher_has_no_number(bundle: Path) -> None:
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert "no organisation number is configured" in readme and PROJECT_AGENT_IRI in readme


# --- same input, same bytes; bad input, no bundle ------------------------------------


@pytest.mark.slow  # a second export in a new Python process
def test_reexport_in_another_process_is_byte_identical(bundle: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(bundle, again)  # an earlier export there is replaced, not merged: its stale file goes
    (again / "queries" / "stale.csv").write_text("left over\n", encoding="utf-8")
    with (again / "SHA256SUMS").open("a", encoding="utf-8") as sums:
        sums.write(f"{hashlib.sha256(b'left over').hexdigest()}  queries/stale.csv\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env = {k: v for k, v in env.items() if not k.startswith("MFBT_KG_")}
    done = subprocess.run(
        [sys.executable, "-m", "mfbt_kg.cli", "--root", str(ROOT), "export", "--out", str(again), "--local"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "no publisher organisation number" in done.stderr
    first, second = files_of(bundle), files_of(again)
    assert sorted(first) == sorted(second)
    assert [p for p in first if first[p] != second[p]] == []


def test_invalid_graph_is_refused(project_copy: Path, tmp_path: Path, capsys) -> None:
    offers = project_copy / "data" / "ttl" / "offers.ttl"
    text = offers.read_text(encoding="utf-8")
    broken, count = re.subn(r"mfbt:region\s+region:[a-z0-9-]+\s*;", "", text, count=1)
    assert count == 1
    offers.write_text(broken, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(InvalidGraphError):
        export_bundle(project_copy, out, PublishSettings())
    assert main(["--root", str(project_copy), "export", "--out", str(out), "--local"]) == 1
    err = capsys.readouterr().err
    assert "An offer needs its region" in err and "nothing exported" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--publisher-orgnr", "991825828"], "check digit"),
        (["--publisher-orgnr", "12345"], "nine digits"),
        (["--base-url", "ftp://example.org/"], "base-url must be an http(s) URL"),
        (["--issued", "22.11.2026"], "issued must be a date"),
    ],
)
def test_cli_refuses_bad_settings_with_exit_2(args: list[str], message: str, tmp_path: Path, capsys) -> None:
    assert main(["--root", str(ROOT), "export", "--out", str(tmp_path / "out"), "--local", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "out").exists()


def test_cli_will_not_write_over_other_files(bundle: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert main(["--root", str(ROOT), "export", "--out", str(tmp_path), "--local"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    earlier = tmp_path / "earlier"  # an earlier export with a file of someone else's added
    shutil.copytree(bundle, earlier)
    (earlier / "data" / "my-notes.txt").write_text("mine\n", encoding="utf-8")
    assert main(["--root", str(ROOT), "export", "--out", str(earlier), "--local"]) == 2
    assert (earlier / "data" / "my-notes.txt").exists()


def test_orgnr_check_digit() -> None:
    assert check_orgnr("991 825 827") == TEST_ORGNR
    for bad in ("991825828", "99182582", "abcdefghi"):
        with pytest.raises(SettingsError):
            check_orgnr(bad)


@pytest.mark.parametrize(
    "args,refused",
    [
        ([], ["base-url is not set", "endpoint-url is not set"]),
        (
            ["--base-url", "https://data.example.org/mfbt-kg/", "--endpoint-url", "http://localhost:8000/sparql"],
            ["endpoint-url http://localhost:8000/sparql names this machine"],
        ),
        (
            ["--base-url", "http://127.0.0.1:8001/dump/", "--endpoint-url", "https://data.example.org/sparql"],
            ["base-url http://127.0.0.1:8001/dump/ names this machine"],
        ),
        (
            ["--base-url", "http://[::1]/d/", "--endpoint-url", "http://0.0.0.0:8000/sparql"],
            [
                "base-url http://[::1]/d/ names this machine",
                "endpoint-url http://0.0.0.0:8000/sparql names this machine",
            ],
        ),
    ],
)
def test_export_refuses_urls_on_this_machine_unless_local(args, refused, tmp_path: Path, capsys, monkeypatch) -> None:
    for variable in ("MFBT_KG_BASE_URL", "MFBT_KG_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["--root", str(ROOT), "export", "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mfbt-kg: ") and "--local" in err[0], err
    assert all(reason in err[0] for reason in refused), err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside rdflib
def test_standalone_jsonld_loads_in_rdflib_and_oxigraph_without_fetching(exported) -> None:
    import pyoxigraph as ox

    bundle, graph = exported
    data = (bundle / "data" / "mfbt-kg.standalone.jsonld").read_bytes()
    assert isinstance(json.loads(data)["@context"], dict), "the context is inline"
    parsed = Graph().parse(data=data, format="json-ld")
    assert isomorphic(parsed, graph)
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.JSON_LD)  # no document loader: a remote context would fail here
    assert len(store) == len(graph)


# The organisations the description credits, with their names as the data gives them: KBT
# (data/ttl/organisations-users.ttl, organisation:kbt), UNN (data/ttl/organisations.ttl, trust:unn) and the
# Ministry (data/ttl/organisations-users.ttl, organisation:hod).
CREDITED = {
    "https://w3id.org/mfbt-kg/id/organisation/kbt": "Kompetansesenter for brukererfaring og tjenesteutvikling (KBT)",
    "https://w3id.org/mfbt-kg/id/trust/unn": "Universitetssykehuset Nord-Norge HF",
    "https://w3id.org/mfbt-kg/id/organisation/hod": "Helse- og omsorgsdepartementet",
}


def test_dcat_has_what_the_national_catalogue_uses_for_discovery_and_upkeep(dcat: Graph) -> None:
    assert set(dcat.objects(DATASET, DCAT.theme)) == {EU_DATA_THEME["HEAL"], URIRef(LOS_HEALTH_AND_CARE)}
    assert dcat.value(DATASET, DCAT.landingPage) == URIRef(PublishSettings().base_url + "README.md")
    assert dcat.value(DATASET, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/IRREG"
    )
    provenance = dcat.value(DATASET, DCTERMS.provenance)
    assert (provenance, RDF.type, DCTERMS.ProvenanceStatement) in dcat
    assert {o.language for o in dcat.objects(provenance, vocab.RDFS.label)} == {"nb", "en"}
    credited = {}
    for attribution in dcat.objects(DATASET, vocab.PROV.qualifiedAttribution):
        assert (attribution, RDF.type, vocab.PROV.Attribution) in dcat
        agent = dcat.value(attribution, vocab.PROV.agent)
        credited[str(agent)] = {str(n) for n in dcat.objects(agent, vocab.FOAF.name) if n.language == "nb"}
    assert credited == {iri: {name} for iri, name in CREDITED.items()}


def test_a_landing_page_can_be_given(tmp_path: Path) -> None:
    settings = PublishSettings(
        landing_page="https://data.example.org/mfbt-kg",
        base_url="https://data.example.org/d/",
        endpoint_url="https://data.example.org/sparql",
    )
    description = publication(ROOT, settings).dcat
    assert description.value(DATASET, DCAT.landingPage) == URIRef("https://data.example.org/mfbt-kg")
    with pytest.raises(SettingsError, match="landing-page must be an http"):
        PublishSettings(landing_page="data.example.org")
