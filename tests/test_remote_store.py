"""The remote mode against a real Oxigraph server on 127.0.0.1: upload, same answers, the service on top.

The catalogue comparison runs against Virtuoso Open Source too (the ``virtuoso`` fixture, conftest.py; the
rest of Virtuoso's remote mode is in test_remote_virtuoso.py).

The Oxigraph server executes SERVICE and FROM like any SPARQL engine, so here the
guard in front of it is the only thing between a query and the network: the
listener proves it (and proves, as a control, that the server alone would call it).
"""

from __future__ import annotations

import re
import shutil
import time

import httpx
import pytest

from conftest import break_file
from mfbt_kg.api.query_page import example_values
from mfbt_kg.cli import main
from mfbt_kg.namespaces import DESCRIPTION
from mfbt_kg.publish.upload import upload
from mfbt_kg.sparql.answers import Table
from mfbt_kg.sparql.catalogue import run
from mfbt_kg.sparql.store import RemoteStore, StoreError, data_version, to_ntriples
from service_fixtures import (
    COUNT,
    ROOT,
    Listener,
    OxigraphServer,
    Service,
    assert_refused_before_the_store,
    assert_remote_service_answers,
    assert_time_limit,
)
from virtuoso_fixtures import BOOLEAN_AS_INTEGER, CONCAT_WITHOUT_LANGUAGE, EMPTY_CONCAT, FORM_ONLY, VIRTUOSO_DIFFERENCES

pytestmark = pytest.mark.slow  # an Oxigraph server, an upload and a service of its own


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    location = tmp_path_factory.mktemp("oxigraph")
    server = OxigraphServer(location)
    yield server.url
    server.stop()
    shutil.rmtree(location, ignore_errors=True)


@pytest.fixture(scope="module")
def uploaded(oxigraph: str, graph) -> str:
    assert upload(oxigraph, ROOT) == len(graph)
    return oxigraph


@pytest.fixture(scope="module")
def remote_service(uploaded: str):
    service = Service("--store", uploaded, timeout=2.0, max_rows=50)
    yield service
    service.stop()


def test_upload_puts_the_validated_graph_and_its_version(uploaded: str, graph) -> None:
    store = RemoteStore(uploaded)
    assert store.triple_count() == len(graph)
    store.refresh()
    assert store.version == data_version(to_ntriples(graph)) and store.modified is not None
    assert store.graph_names() == frozenset()  # the version marker's graph is not the data's


def test_cli_load_uploads_and_reports(uploaded: str, graph, capsys) -> None:
    assert main(["--root", str(ROOT), "load", "--store", uploaded]) == 0
    assert str(len(graph)) in capsys.readouterr().out
    assert RemoteStore(uploaded).triple_count() == len(graph)


def test_cli_load_refuses_a_graph_that_does_not_conform(uploaded: str, graph, project_copy, capsys) -> None:
    break_file(
        project_copy / "data/ttl/offers.ttl",
        "mfbt:region region:helse-nord ; mfbt:providedBy trust:unn ;",
        "mfbt:providedBy trust:unn ;",
    )
    assert (
        main(["--root", str(project_copy), "load", "--store", uploaded]) == 1
    )  # violations: exit 1, as validate and export
    err = capsys.readouterr().err
    assert "An offer needs its region" in err and "nothing uploaded" in err
    assert RemoteStore(uploaded).triple_count() == len(graph)  # the earlier upload is untouched


def test_upload_to_nowhere_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot reach the remote store"):
        RemoteStore("http://127.0.0.1:1/query", timeout=2).replace(b"")


def _as_set(found: list[dict]) -> list[tuple]:
    """Rows in a comparable form; a GROUP_CONCAT list (of IRIs, or of texts joined by " | " or " / ") is compared
    as a set: its order is the engine's choice."""

    def value(term: object) -> str:
        text = str(term)
        words = text.strip('"').split(" ")
        if len(words) > 1 and all(w.startswith("https://") for w in words):
            return " ".join(sorted(words))
        quoted = re.fullmatch(r'"(.*)"(@[a-z-]+|\^\^<[^>]*>)?', text, re.S)
        for separator in (" | ", " / "):
            if quoted and separator in quoted.group(1):
                return separator.join(sorted(quoted.group(1).split(separator))) + (quoted.group(2) or "")
        return text

    return sorted(tuple(sorted((k, value(v)) for k, v in r.items())) for r in found)


XSD_INTEGER, XSD_BOOLEAN = "<http://www.w3.org/2001/XMLSchema#integer>", "<http://www.w3.org/2001/XMLSchema#boolean>"


def _lenient(rows: list[tuple], classes: tuple[str, ...]) -> list[tuple]:
    """``_as_set`` rows read past the form-only differences named (virtuoso_fixtures), on both sides alike."""

    def value(text: str) -> str:
        if BOOLEAN_AS_INTEGER in classes:
            text = {
                f'"1"^^{XSD_INTEGER}': f'"true"^^{XSD_BOOLEAN}',
                f'"0"^^{XSD_INTEGER}': f'"false"^^{XSD_BOOLEAN}',
            }.get(text, text)
        if CONCAT_WITHOUT_LANGUAGE in classes:
            text = re.sub(r"@[a-z-]+$", "", text)
        if EMPTY_CONCAT in classes and text == '""':
            text = "None"
        return text

    return sorted(tuple((k, value(v)) for k, v in row) for row in rows)


@pytest.fixture(scope="module")
def virtuoso_store(virtuoso, graph) -> RemoteStore:
    """The project's graph uploaded to the run's Virtuoso server, in a named graph of its own."""
    data_graph = str(DESCRIPTION["graph"])
    assert upload(
        virtuoso.url,
        ROOT,
        graph=data_graph,
        graph_store=virtuoso.graph_store,
        user=virtuoso.user,
        password=virtuoso.password,
    ) == len(graph)
    return RemoteStore(virtuoso.url, graph=data_graph)


@pytest.mark.parametrize("engine", ["oxigraph", "virtuoso"])
def test_every_catalogue_query_answers_the_same_remote_and_embedded(engine: str, request, store, catalogue) -> None:
    """Oxigraph server: every query, the same answer. Virtuoso: the same, but for the queries
    VIRTUOSO_DIFFERENCES names, which must differ (so the list stays true) and, every difference left being one
    of form (the catalogue is written around those that change values), agree once read past it."""
    if engine == "oxigraph":
        remote, differences = RemoteStore(request.getfixturevalue("uploaded")), {}
    else:
        remote, differences = request.getfixturevalue("virtuoso_store"), VIRTUOSO_DIFFERENCES
    assert set(differences) <= set(catalogue)
    assert all(set(classes) <= FORM_ONLY for classes in differences.values())  # no answer differs in value
    for query in catalogue.values():
        values = example_values(query.example)
        local_answer, remote_answer = run(store, query, values), run(remote, query, values)
        if isinstance(local_answer, Table):
            assert isinstance(remote_answer, Table), query.name
            local_rows, remote_rows = _as_set(local_answer.records()), _as_set(remote_answer.records())
            classes = differences.get(query.name)
            if classes is None:
                assert local_rows == remote_rows, query.name
                continue
            assert local_rows != remote_rows, f"{query.name} now answers the same on {engine}: drop it from the list"
            assert _lenient(local_rows, classes) == _lenient(remote_rows, classes), query.name
        else:
            assert query.name not in differences
            assert local_answer == remote_answer, query.name


def test_service_in_remote_mode_says_it_cannot_describe_the_data(remote_service: Service) -> None:
    """It does not hold the data, so /dataset and /dump say so rather than describe the project's files."""
    for path in ("/dataset.ttl", "/dump/data/mfbt-kg.nt"):
        response = httpx.get(f"{remote_service.base}{path}", timeout=30)
        assert response.status_code == 404 and "answers from a remote store" in response.text, path
    assert "mfbt-kg export" in httpx.get(f"{remote_service.base}/dataset", timeout=30).text


def test_service_in_remote_mode_answers_and_ties_etags_to_the_upload(
    remote_service: Service, uploaded: str, graph
) -> None:
    assert_remote_service_answers(remote_service, graph)


def test_remote_mode_refuses_before_the_store_sees_the_query(remote_service: Service, uploaded: str) -> None:
    listener = Listener()
    try:
        control = httpx.post(
            uploaded, data={"query": f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"}, timeout=10
        )
        assert control.status_code and listener.settle() >= 1  # Oxigraph server alone does call out
        queries = [
            f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
            f"PREFIX : <{listener.url}> SELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{listener.url}g> WHERE {{ ?s ?p ?o }}",
            "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
            f"LOAD <{listener.url}data.ttl>",
        ]
        assert_refused_before_the_store(remote_service, listener, queries, (listener.url,))
    finally:
        listener.stop()


def test_remote_mode_time_limit(remote_service: Service) -> None:
    assert_time_limit(remote_service)


def test_a_new_upload_is_followed(remote_service: Service, uploaded: str, graph) -> None:
    before = remote_service.health()["data_version"]
    store = RemoteStore(uploaded)
    subset = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"
    store.replace(subset)
    try:
        started = time.monotonic()
        while remote_service.health()["data_version"] == before:
            assert time.monotonic() - started < 15, "the service did not notice the upload"
            time.sleep(0.2)
        assert remote_service.health()["data_version"] == data_version(subset) and remote_service.count() == 1
    finally:
        store.replace(to_ntriples(graph))


def test_a_result_page_in_remote_mode_is_never_kept(remote_service: Service, uploaded: str, graph) -> None:
    """A remote store can change without the version marker (another loader, an update of its own), so in
    remote mode the service keeps neither answers nor rendered result pages: the page shows the change."""

    def page() -> str:
        response = remote_service.get(COUNT, accept="text/html")
        assert response.status_code == 200
        return response.text

    first = page()
    store_url = re.sub(r"/query$", "/store", uploaded)
    subset = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"
    try:
        put = httpx.put(
            store_url, params={"default": ""}, content=subset, headers={"Content-Type": "application/n-triples"}
        )
        assert put.status_code < 300
        changed = page()
    finally:
        RemoteStore(uploaded).replace(to_ntriples(graph))
    assert changed != first
    assert page() == first
