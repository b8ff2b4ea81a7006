"""One answer path: ``mfbt-kg query run`` / ``query sparql`` and the service give the same bytes for the same
answer in the same format (the CLI writes with the service's own serialisers, uncapped).

The queries are chosen to answer with fewer rows than the test service's cap (50), and each answer is
checked to be uncapped, so the service's bytes are the whole answer too.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mfbt_kg.api.query_page import example_values
from mfbt_kg.cli import main
from mfbt_kg.namespaces import ID, MFBT
from mfbt_kg.sparql.media import GRAPH_FORMATS, ROW_FORMATS, named
from service_fixtures import ROOT, Service, ServicePool

# Catalogue queries with small answers (rows as the seeds give them: see tests/expected/<name>.json).
QUERIES = ("offers-by-referrer", "protocol-signatories", "earmarked-beds-per-region")
# Ad-hoc queries for the boolean and graph answers (the prefixes declared, as the endpoint needs them).
PROLOGUE = f"PREFIX mfbt: <{MFBT}>\nPREFIX offer: <{ID}offer/>\n"
ASK = PROLOGUE + "ASK { offer:unn-asgard mfbt:region ?region }"
CONSTRUCT = PROLOGUE + "CONSTRUCT { offer:unn-asgard ?p ?o } WHERE { offer:unn-asgard ?p ?o FILTER (isIRI(?o)) }"


@pytest.fixture(scope="module")
def service(services: ServicePool) -> Service:
    return services.get()


def cli(argv: list[str], capsysbinary) -> bytes:
    assert main(["--root", str(ROOT), *argv]) == 0
    return capsysbinary.readouterr().out


def served(response: httpx.Response, fmt: str) -> bytes:
    assert response.status_code == 200, response.text[:300]
    assert "x-result-capped" not in response.headers, "the test needs an uncapped answer"
    assert response.headers["content-type"] == named(fmt).content_type
    return response.content


@pytest.mark.parametrize("fmt", ROW_FORMATS)
@pytest.mark.parametrize("name", QUERIES)
def test_catalogue_query_same_bytes_from_cli_and_api(
    name: str, fmt: str, service: Service, catalogue, capsysbinary
) -> None:
    values = example_values(catalogue[name].example)
    params = [arg for key, value in values.items() for arg in ("--param", f"{key}={value}")]
    from_cli = cli(["query", "run", name, *params, "--format", fmt], capsysbinary)
    from_api = served(
        httpx.get(f"{service.base}/api/queries/{name}", params={**values, "format": fmt}, timeout=30), fmt
    )
    assert from_cli == from_api


@pytest.mark.parametrize("fmt", ("json", "xml", *GRAPH_FORMATS))
def test_ad_hoc_query_same_bytes_from_cli_and_endpoint(
    fmt: str, service: Service, tmp_path: Path, capsysbinary
) -> None:
    text = CONSTRUCT if fmt in GRAPH_FORMATS else ASK
    query = tmp_path / "q.rq"
    query.write_text(text, encoding="utf-8")
    from_cli = cli(["query", "sparql", str(query), "--format", fmt], capsysbinary)
    from_endpoint = served(service.get(text, named(fmt).media_type), fmt)
    assert from_cli == from_endpoint
    if fmt not in GRAPH_FORMATS:
        assert b"true" in from_cli, "UNN Åsgård's offer has a region (data/ttl/offers.ttl)"


@pytest.mark.parametrize(
    "text,fmt,what",
    [
        (CONSTRUCT, "json", "a graph"),
        (CONSTRUCT, "csv", "a graph"),
        (ASK, "csv", "a boolean"),
        (ASK, "tsv", "a boolean"),
        (ASK, "turtle", "a boolean"),
    ],
)
def test_cli_and_endpoint_refuse_a_format_that_cannot_carry_the_answer(
    text: str, fmt: str, what: str, service: Service, tmp_path: Path, capsys
) -> None:
    query = tmp_path / "q.rq"
    query.write_text(text, encoding="utf-8")
    assert main(["--root", str(ROOT), "query", "sparql", str(query), "--format", fmt]) == 2
    assert f"cannot carry {what}" in capsys.readouterr().err
    assert service.get(text, named(fmt).media_type).status_code == 406
