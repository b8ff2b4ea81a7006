"""CLI and server conventions (issue 14 item 6, and progress from item 4): parameters take what a person
types (the slug rule) and say "did you mean" on a miss; ``query sparql -q``; tables that fit the terminal;
every ``serve`` flag also from ``MFBT_KG_*``; /dataset's URLs from the address the service has; a
start-up line, an access log and ``--log-level``; progress lines on validate and export.

Slugs come from the data: offer:unn-asgard (data/ttl/offers.ttl, «UNN Åsgård» in the KBT report's
capacity table, seed 001_17db9149d318b85f.txt line 1390: «Helse Nord 1.1.2017 6»).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
import pyoxigraph as ox
import pytest

from conftest import ROOT
from mfbt_kg.cli import _parser, _settings, main
from mfbt_kg.namespaces import ID, PREFIXES
from mfbt_kg.sparql.answers import Table
from mfbt_kg.sparql.catalogue import ParameterError, load_catalogue, run
from mfbt_kg.terminal import compact, fitted_table
from service_fixtures import free_port, wait_until_up

CATALOGUE = load_catalogue(ROOT)
ASGARD = f"{ID}offer/unn-asgard"


@pytest.mark.parametrize("typed", ["unn-åsgård", "UNN Åsgård", "offer/UNN Åsgård", ASGARD])
def test_a_parameter_takes_what_a_person_types(typed: str, store) -> None:
    expected = run(store, CATALOGUE["offer-profile"], {"offer": "unn-asgard"})
    assert isinstance(expected, Table) and expected.rows
    assert run(store, CATALOGUE["offer-profile"], {"offer": typed}) == expected


@pytest.mark.parametrize("typed,meant", [("unn-asgrd", "unn-asgard"), ("vegsund", "vegsund-dps")])
def test_a_miss_says_did_you_mean(typed: str, meant: str, store) -> None:
    with pytest.raises(ParameterError) as caught:
        run(store, CATALOGUE["offer-profile"], {"offer": typed})
    assert f"no offer named '{typed}'" in str(caught.value) and f"did you mean '{meant}'" in str(caught.value)


def test_query_sparql_takes_the_query_on_the_command_line(capsys) -> None:
    assert main(["--root", str(ROOT), "query", "sparql", "-q", "ASK { offer:unn-asgard a mfbt:TreatmentOffer }"]) == 0
    assert capsys.readouterr().out.strip() == "true"
    assert main(["--root", str(ROOT), "query", "sparql"]) == 2
    assert main(["--root", str(ROOT), "query", "sparql", "x.rq", "-q", "ASK {}"]) == 2
    assert "one of the two" in capsys.readouterr().err


def test_tables_fit_the_width_with_compact_names_and_labels(capsys) -> None:
    assert main(["--root", str(ROOT), "query", "run", "offers-overview", "--width", "90"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 90
    # KBT 2018, «Geografisk plassering»: 14 offers (Vestre Viken's three units are one offer)
    assert sum(line.startswith("offer:") for line in out.splitlines()) == 14, "each offer by its compact name"
    assert ASGARD not in out, "a compact name, not the IRI in full"
    answer = Table(("o",), [(ox.NamedNode(ASGARD),)])
    text = fitted_table(answer, lambda iri: "UNN Åsgård" if iri == ASGARD else None, PREFIXES_LIST, None)
    assert text.splitlines()[2] == "UNN Åsgård (offer:unn-asgard)"
    assert compact("https://example.org/x", PREFIXES_LIST) == "<https://example.org/x>"


PREFIXES_LIST = [(p, str(ns)) for p, ns in PREFIXES.items()]


def test_every_serve_flag_also_comes_from_the_environment(monkeypatch) -> None:
    env = {
        "MFBT_KG_PORT": "8123",
        "MFBT_KG_HOST": "0.0.0.0",
        "MFBT_KG_MAX_ROWS": "7",
        "MFBT_KG_TIMEOUT": "3.5",
        "MFBT_KG_TRUSTED_PROXY": "10.0.0.1, 10.0.0.2",
        "MFBT_KG_ALLOW_WORKER_NETWORK": "1",
        "MFBT_KG_LOG_LEVEL": "warning",
        "MFBT_KG_PUBLIC_BASE_URL": "https://kg.example.org",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("MFBT_KG_BASE_URL", "MFBT_KG_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    args = _parser().parse_args(["serve"])
    assert (args.port, args.host, args.max_rows, args.timeout) == (8123, "0.0.0.0", 7, 3.5)
    assert args.trusted_proxy == ["10.0.0.1", "10.0.0.2"] and args.allow_worker_network and args.log_level == "warning"
    settings = _settings(args)
    assert settings.publish.base_url == "https://kg.example.org/dump/"
    assert settings.publish.endpoint_url == "https://kg.example.org/sparql"
    assert _parser().parse_args(["serve", "--port", "9000", "--max-rows", "9"]).port == 9000, "a flag wins"
    monkeypatch.setenv("MFBT_KG_MAX_ROWS", "many")
    with pytest.raises(SystemExit) as refused:
        _parser().parse_args(["serve"])
    assert refused.value.code == 2


def test_dataset_urls_name_the_listening_port_without_a_public_address(monkeypatch) -> None:
    for name in [n for n in os.environ if n.startswith("MFBT_KG_")]:
        monkeypatch.delenv(name)
    settings = _settings(_parser().parse_args(["serve", "--port", "8001"]))
    assert settings.publish.base_url == "http://127.0.0.1:8001/dump/"
    assert settings.publish.endpoint_url == "http://127.0.0.1:8001/sparql"
    monkeypatch.setenv("MFBT_KG_ENDPOINT_URL", "https://data.example.org/sparql")
    assert _settings(_parser().parse_args(["serve"])).publish.endpoint_url == "https://data.example.org/sparql"


def test_serve_help_names_the_environment(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "MFBT_KG_" in out and "--log-level" in out and "--no-access-log" in out


def test_progress_lines_on_request_and_not_otherwise(capsys) -> None:
    assert main(["--root", str(ROOT), "validate", "--progress"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err and all(re.match(r"mfbt-kg: \[ *\d+\.\d s\] (reading|checking) ", line) for line in err), err
    assert main(["--root", str(ROOT), "validate"]) == 0  # standard error is not a terminal here
    assert capsys.readouterr().err == ""


@pytest.mark.slow  # a server process
def test_serve_says_where_it_listens_and_logs_each_request(tmp_path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MFBT_KG_")}
    out, err = (tmp_path / "out").open("w+"), (tmp_path / "err").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mfbt_kg.cli", "--root", str(ROOT), "serve", "--port", str(port), "--workers", "1"],
        stdout=out,
        stderr=err,
        env=env,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", proc)
        assert httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    logs = (tmp_path / "out").read_text() + (tmp_path / "err").read_text()
    assert f"mfbt-kg: serving http://127.0.0.1:{port}/ (SPARQL endpoint http://127.0.0.1:{port}/sparql" in logs
    assert '"GET /sparql?query=ASK+%7B%7D HTTP/1.1" 200' in logs, logs[-2000:]
