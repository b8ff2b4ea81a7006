"""Every row of docs/security-checklist.md, against the real service (rows 1–16) and the
real loaders (rows 17–20); plus what the rows rest on: the guard refuses before any
engine sees a query, workers are killed (not abandoned) at the deadline, the event
loop stays free, and the workers cannot reach the network at all.

Every URL a bad input names points at a listener on 127.0.0.1 that must receive nothing.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import select
import socket
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from mfbt_kg.graph.files import DataFileError, parse_file
from mfbt_kg.sparql.guard import QueryRefused, check_query
from mfbt_kg.sparql.store import EmbeddedStore, StoreError
from review_forms import DESYNC
from service_fixtures import COUNT, SLOW, Listener, Service, ServicePool, assert_generic

LIMIT = 2.0  # the service's time limit in these tests
MARGIN = 1.5  # what "within the limit" may add: process kill, HTTP, a loaded CI machine
ASGARD = "https://w3id.org/mfbt-kg/id/offer/unn-asgard"


@pytest.fixture(scope="module")
def service(services: ServicePool) -> Service:
    return services.get(timeout=LIMIT)


@pytest.fixture()
def listener():
    lis = Listener()
    yield lis
    lis.stop()


def both_ways(service: Service, query: str) -> list[httpx.Response]:
    """The query by GET and by POST (form and direct)."""
    return [
        service.get(query),
        httpx.post(f"{service.base}/sparql", data={"query": query}, timeout=30),
        httpx.post(
            f"{service.base}/sparql",
            content=query.encode(),
            timeout=30,
            headers={"Content-Type": "application/sparql-query"},
        ),
    ]


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def workers_ready(service: Service, size: int = 4, limit: float = 30) -> None:  # 2 general, fast lane, standby
    started = time.monotonic()
    while service.health()["workers"]["alive"] < size:
        assert time.monotonic() - started < limit, "query workers were not replaced"
        time.sleep(0.1)


# --- rows 1–4: nothing leaves the machine ------------------------------------------------


def service_variants(url: str) -> list[str]:
    """SERVICE in every case, position and spelling an engine might still read as SERVICE."""
    return [
        f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",  # row 1
        f"SELECT * WHERE {{ SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}",  # row 2 ...
        f"select * where {{ service <{url}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SeRvIcE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ MINUS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"PREFIX : <{url}> SELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}",  # oxigraph reads SERVICE + :x
        f"PREFIX ex: <{url}> SELECT * WHERE {{ SERVICEex:x {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o # a comment ends at CR\rSERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s <http://e/\\u0062#x> ?o . SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",  # \\u escapes
        f"SELECT * WHERE {{ ?s ?p 1SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER(1<2)SERVICE<{url}>{{?s ?p ?o}} }}",
        f"SELECT * WHERE {{ ?s ?p _:b SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?x {{ <{url}> }} SERVICE ?x {{ ?s ?p ?o }} }}",
        # Review finding 1 (S24-S28): '<' after an operand is "less than", so no phantom string hides SERVICE.
        f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<'>' || true) SERVICE <{url}s24> {{ ?s ?p ?o }} }} #'",
        f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<='>' || true) SERVICE <{url}s25> {{ ?s ?p ?o }} }} #'",
        f"SELECT * WHERE {{ BIND(1<'>' AS ?b) SERVICE <{url}s26> {{ ?s ?p ?o }} }} #'",  # + S29, S30
        f"SELECT (1<'>' AS ?b) ?s WHERE {{ SERVICE <{url}s27> {{ ?s ?p ?o }} }} #'",
        f"SELECT * WHERE {{ BIND(1<'>' AS ?b) OPTIONAL {{ SERVICE SILENT <{url}s28> {{ ?s ?p ?o }} }} }} #'",
    ]


def test_the_listener_would_see_an_engine_that_is_not_guarded(listener: Listener) -> None:
    """The control: pyoxigraph itself does call the listener — so silence below means the guard worked."""
    store = ox.Store()
    for query in service_variants(listener.url)[:2] + service_variants(listener.url)[8:9]:
        try:
            store.query(query)  # the listener closes at once: an error, or nothing for SILENT
        except OSError:
            pass
    assert listener.settle() >= 3


def test_rows_1_2_service_refused_in_every_spelling(service: Service, listener: Listener) -> None:
    for query in service_variants(listener.url):
        for response in both_ways(service, query):
            assert response.status_code == 400, (query, response.text)
            assert "SERVICE" in response.json()["error"]
            assert_generic(response)
    assert listener.settle() == 0


def test_row_3_same_message_for_a_file_and_a_closed_port(service: Service) -> None:
    a = service.get("SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }")
    b = service.get("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    c = service.get("SELECT * WHERE { SERVICE <file:///no/such/file> { ?s ?p ?o } }")
    assert a.status_code == b.status_code == c.status_code == 400
    assert a.content == b.content == c.content
    assert_generic(a)


def test_row_4_from_outside_the_dataset_is_an_empty_graph_never_fetched(
    service: Service, listener: Listener, tmp_path: Path
) -> None:
    """The embedded engine never fetches a graph: one the data lacks is empty, as with default-graph-uri
    (a remote store, which might fetch, refuses both: test_remote_store)."""
    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://e/a> <http://e/b> <http://e/c> .\n")
    queries = [
        f"SELECT * FROM <{listener.url}x> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{listener.url}x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        f"BASE <{listener.url}> SELECT * FROM <relative> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM <{ASGARD}> WHERE {{ ?s ?p ?o }}",  # an IRI of the data, but not a graph of it
        f"SELECT (1<'>' AS ?b) FROM <{listener.url}f07> WHERE {{ ?s ?p ?o }} LIMIT 1 #'",  # review F07
    ]
    responses = [r for q in queries for r in both_ways(service, q)]
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    assert all(r.json()["results"]["bindings"] == [] for r in responses)  # nothing of the file or the host
    # FROM glued to a prefixed name: the grammar does not read it (the engine would), so it is refused unread.
    glued = both_ways(service, f"PREFIX : <{listener.url}> SELECT * FROM:x WHERE {{ ?s ?p ?o }}")
    assert all(r.status_code == 400 and "FROM" in r.json()["error"] for r in glued)
    assert listener.settle() == 0


# --- rows 5–7: read only --------------------------------------------------------------

UPDATES = [
    "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <{url}x>",
    "CLEAR ALL",
    "DROP ALL",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "CREATE GRAPH <http://e/g>",
    "COPY DEFAULT TO <http://e/g>",
]


@pytest.mark.parametrize("update", UPDATES)
def test_row_5_updates_sent_as_queries_change_nothing(service: Service, listener: Listener, update: str) -> None:
    before = service.count()
    for response in both_ways(service, update.replace("{url}", listener.url)):
        assert response.status_code == 400 and "read-only" in response.json()["error"]
        assert_generic(response)
    assert service.count() == before and listener.settle() == 0


def test_row_6_update_operations_refused(service: Service, listener: Listener) -> None:
    before = service.count()
    for update in UPDATES:
        update = update.replace("{url}", listener.url)
        responses = [
            httpx.post(
                f"{service.base}/sparql",
                content=update,
                headers={"Content-Type": "application/sparql-update"},
                timeout=10,
            ),
            httpx.post(f"{service.base}/sparql", data={"update": update}, timeout=10),
            httpx.get(f"{service.base}/sparql", params={"update": update}, timeout=10),
            httpx.post(
                f"{service.base}/sparql", params={"using-graph-uri": "http://e/g"}, data={"update": update}, timeout=10
            ),
        ]
        for response in responses:
            assert 400 <= response.status_code < 500 and "read-only" in response.json()["error"]
            assert_generic(response)
    assert service.count() == before and listener.settle() == 0


def test_row_7_a_query_followed_by_an_update(service: Service) -> None:
    before = service.count()
    for query in [
        "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
        "SELECT * WHERE { ?s ?p ?o } ;\nCLEAR ALL",
        "ASK {} ; DROP ALL",
    ]:
        for response in both_ways(service, query):
            assert response.status_code == 400
    assert service.count() == before


# --- rows 8–9: sizes before parsing ----------------------------------------------------------


@pytest.mark.parametrize("opening,closing", [("{", "}"), ("(", ")"), ("[", "]")])
def test_row_8_deep_nesting_refused_before_any_parser(service: Service, opening: str, closing: str) -> None:
    inner = {"{": "?s ?p ?o", "(": "1", "[": "<http://e/p> 1"}[opening]
    head = {"{": "SELECT * WHERE ", "(": "SELECT * WHERE { FILTER", "[": "SELECT * WHERE { ?s ?p "}[opening]
    tail = {"{": "", "(": " }", "[": " }"}[opening]

    def nested(depth: int) -> str:
        return head + opening * depth + f" {inner} " + closing * depth + tail

    responses = both_ways(service, nested(5000))[1:] + [service.get(nested(2000))]  # GET: as deep as a URL allows
    for response in responses:
        assert response.status_code == 400 and "nested deeper" in response.json()["error"]
    assert service.proc.poll() is None and service.count() > 0  # alive


def test_row_8_nesting_hidden_after_a_comparison_is_refused(service: Service) -> None:
    """Review N45, N49, N50: nesting the old guard lost count of behind ``?a<?b#>`` or ``1<'>'``."""
    queries = [DESYNC[form] for form in ("N45", "N49", "N50")]
    for query in queries:
        for response in both_ways(service, query)[1:]:  # POST: too long for a URL
            assert response.status_code == 400 and "nested deeper" in response.json()["error"]
    workers_ready(service)
    assert service.proc.poll() is None and service.count() > 0


@pytest.mark.parametrize("unit", ["a1", "é"])
def test_a_64_kib_query_gets_the_engines_syntax_error(service: Service, unit: str) -> None:
    """Review G02 / V07b: 'ASK {}' and 64 KiB of 'a1' took the guard 30-54 s of CPU (quadratic); now the
    guard lets it through to the engine's syntax error (its time: bench/guard.py, not asserted here)."""
    query = "ASK {}\n" + unit * ((64 * 1024 - 16) // len(unit.encode()))
    response = httpx.post(
        f"{service.base}/sparql",
        content=query.encode(),
        timeout=30,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 400 and "syntax" in response.json()["error"].lower()  # the engine's message


def test_row_9_size_limits(service: Service) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_000_000
    direct = httpx.post(
        f"{service.base}/sparql", content=big, headers={"Content-Type": "application/sparql-query"}, timeout=30
    )
    form = httpx.post(f"{service.base}/sparql", data={"query": big}, timeout=30)

    def chunks():  # no Content-Length: the body is counted as it arrives
        for _ in range(100):
            yield b"x" * 10_000

    chunked = httpx.post(
        f"{service.base}/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}, timeout=30
    )
    long_url = service.get("SELECT * WHERE { ?s ?p ?o } #" + "x" * 20_000)
    huge_url = raw_get(service, "/sparql?query=" + "x" * 1_000_000)
    medium = httpx.post(
        f"{service.base}/sparql",
        content="SELECT * WHERE { ?s ?p ?o } #" + "x" * 100_000,
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert direct.status_code == form.status_code == chunked.status_code == medium.status_code == 413
    assert long_url.status_code == 414 and "POST" in long_url.json()["error"]
    assert huge_url.startswith(b"HTTP/1.1 414")
    for response in (direct, form, chunked, long_url, medium):
        assert_generic(response)
    assert service.count() > 0


def raw_get(service: Service, target: str) -> bytes:
    """A GET with a target no HTTP client library would send, written in pieces while watching for
    the answer (the server answers and closes before the target has all arrived)."""
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    answer = b""
    with socket.create_connection(("127.0.0.1", service.port), timeout=30) as sock:
        for start in range(0, len(request), 32_768):
            try:
                sock.sendall(request[start : start + 32_768])
            except OSError:
                break
            if select.select([sock], [], [], 0.05)[0]:
                break
        try:
            while chunk := sock.recv(65_536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer


def test_size_limits_follow_the_command_line() -> None:
    """`mfbt-kg serve --max-body-bytes/--max-url-bytes` set the limits the running service enforces."""
    service = Service("--max-body-bytes", "2000", "--max-url-bytes", "3000")
    try:
        query = "ASK { ?s ?p ?o } #"
        small = httpx.post(
            f"{service.base}/sparql",
            content=query + "x" * 1500,
            headers={"Content-Type": "application/sparql-query"},
            timeout=10,
        )
        large = httpx.post(
            f"{service.base}/sparql",
            content=query + "x" * 2500,
            headers={"Content-Type": "application/sparql-query"},
            timeout=10,
        )
        assert small.status_code == 200 and large.status_code == 413
        assert service.get(query + "x" * 1000).status_code == 200
        assert service.get(query + "x" * 3500).status_code == 414
    finally:
        service.stop()


# --- rows 10–13: the time limit ---------------------------------------------------------------


@pytest.mark.parametrize("query", [SLOW, SLOW + " ORDER BY ?c LIMIT 1"], ids=["row-10-count", "row-11-order-by"])
def test_rows_10_11_time_limit_kills_the_worker_and_the_next_query_is_fine(service: Service, query: str) -> None:
    workers_ready(service)
    before = service.worker_pids()
    restarts = service.health()["workers"]["restarts"]
    started = time.monotonic()
    response = service.get(query)
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and elapsed < LIMIT + MARGIN, (response.status_code, elapsed)
    assert "time limit" in response.json()["error"] and response.headers["retry-after"] == "1"
    assert_generic(response)
    assert service.count() > 0  # the next query is fine (the other worker answers at once)
    workers_ready(service)
    after = service.worker_pids()
    killed = before - after
    assert len(killed) == 1 and len(after) == 4  # killed and replaced, not left running in a thread
    assert not any(alive(pid) for pid in killed)
    assert service.health()["workers"]["restarts"] == restarts + 1


def test_row_12_regex_answers_or_503_in_time(service: Service) -> None:
    workers_ready(service)
    started = time.monotonic()
    response = service.get('ASK { FILTER(REGEX("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a+)+$")) }')
    assert response.status_code in (200, 503) and time.monotonic() - started < LIMIT + MARGIN
    if response.status_code == 200:
        assert response.json()["boolean"] is False


@pytest.mark.parametrize(
    "slow",
    [
        SLOW,
        "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
        'FILTER(REGEX(CONCAT(STR(?c), STR(?f), STR(?i)), "^(a+)+$")) }',
    ],
)
def test_row_13_a_fast_query_answers_beside_a_slow_one(service: Service, slow: str) -> None:
    workers_ready(service)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        pending = pool.submit(service.get, slow)
        time.sleep(0.3)
        started = time.monotonic()
        fast = service.get("ASK { ?s ?p ?o }")
        fast_elapsed = time.monotonic() - started
        health_started = time.monotonic()
        assert service.health()["status"] == "ok"  # the event loop is free while a query runs
        assert time.monotonic() - health_started < 0.5
        assert fast.json()["boolean"] is True and fast_elapsed < 1.0
        assert pending.result().status_code == 503


# --- rows 14–16: caps and errors --------------------------------------------------------------


def test_row_14_rows_capped_and_the_answer_says_so(service: Service) -> None:
    response = service.get("SELECT * WHERE { ?s ?p ?o } LIMIT 999999999999")
    assert response.status_code == 200 and response.headers["x-result-capped"] == "true"
    body = response.json()
    assert body["capped"] is True and len(body["results"]["bindings"]) == 50
    as_csv = service.get("SELECT * WHERE { ?s ?p ?o } LIMIT 999999999999", "text/csv")
    assert as_csv.headers["x-result-capped"] == "true" and len(as_csv.text.strip().splitlines()) == 51
    graph = service.get("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert graph.headers["x-result-capped"] == "true" and len(graph.text.strip().splitlines()) == 50


def test_row_15_bad_requests_are_4xx_never_500(service: Service) -> None:
    cases = {
        "unsupported Accept": service.get(COUNT, "image/png"),
        "invalid UTF-8 in the URL": httpx.get(f"{service.base}/sparql?query=%FF%FE", timeout=10),
        "invalid UTF-8 in a form": httpx.post(
            f"{service.base}/sparql",
            content=b"query=%FF%FE",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        ),
        "invalid UTF-8 as the query": httpx.post(
            f"{service.base}/sparql",
            content=b"ASK { \xff }",
            headers={"Content-Type": "application/sparql-query"},
            timeout=10,
        ),
        "query twice": httpx.get(f"{service.base}/sparql", params=[("query", COUNT), ("query", COUNT)], timeout=10),
        "query twice in a form": httpx.post(
            f"{service.base}/sparql",
            content="query=ASK%7B%7D&query=ASK%7B%7D",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        ),
        "query and update": httpx.post(
            f"{service.base}/sparql", data={"query": COUNT, "update": "CLEAR ALL"}, timeout=10
        ),
        "query and update in the URL": httpx.get(
            f"{service.base}/sparql", params={"query": COUNT, "update": "CLEAR ALL"}, timeout=10
        ),
        "a lone surrogate": service.get("SELECT ('\\uD800' AS ?x) {}"),
        "NUL bytes": service.get("SELECT * WHERE { ?s ?p ?o }\x00"),
    }
    for name, response in cases.items():
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        assert_generic(response)
    assert cases["unsupported Accept"].status_code == 406
    assert all(r.status_code == 400 for n, r in cases.items() if n != "unsupported Accept")


def test_row_16_no_error_body_names_a_file_host_or_trace(service: Service, listener: Listener) -> None:
    responses = [
        service.get("SELECT * WHERE { ?s ?p }"),
        service.get(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"),
        service.get("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p }"),
        service.get(SLOW),
        service.get("SELECT (<http://127.0.0.1:9/f>(?s) AS ?x) WHERE { ?s ?p ?o }"),
        service.get("SELECT * WHERE { ?s ?p ?o FILTER(<file:///etc/passwd>(?o)) }"),
        httpx.get(f"{service.base}/no/such/route", timeout=10),
        httpx.get(f"{service.base}/api/queries/..%2F..%2Fetc%2Fpasswd", timeout=10),
    ]
    for response in responses:
        assert response.status_code >= 400
        assert_generic(response)

    # A parameter value is echoed (as the CLI does) but the sentence never depends on what it names:
    # an existing file and a missing one, a listening port and a closed one, read the same.
    def message(value: str) -> str:
        response = httpx.get(f"{service.base}/api/queries/offer-profile", params={"offer": value}, timeout=10)
        assert response.status_code == 400
        return response.json()["error"].replace(value, "VALUE")

    assert message("file:///etc/passwd") == message("file:///no/such/file")
    assert message(f"{listener.url}x") == message("http://127.0.0.1:1/x")
    assert listener.settle() == 0


# --- rows 17–20: the loaders ---------------------------------------------------------------------


def load_error(path: Path) -> DataFileError:
    started = time.monotonic()
    with pytest.raises(DataFileError) as caught:
        parse_file(path)
    assert time.monotonic() - started < 1.0  # refused at once, before any parser works on it
    return caught.value


def test_row_17_rdf_xml_entities_refused_without_fetching(tmp_path: Path, listener: Listener) -> None:
    for name, dtd in {
        "file": '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        "http": f'<!DOCTYPE r [<!ENTITY x SYSTEM "{listener.url}e">]>',
        "parameter": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{listener.url}p"> %p;]>',
    }.items():
        path = tmp_path / f"{name}.rdf"
        path.write_text(
            f'<?xml version="1.0"?>\n{dtd}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:e="http://e/"><rdf:Description rdf:about="http://e/a"><e:p>&x;</e:p></rdf:Description></rdf:RDF>'
        )
        error = load_error(path)
        assert error.line == 2 and "DOCTYPE" in error.message and "root:" not in str(error)
    assert listener.settle() == 0


def test_row_18_billion_laughs_refused_at_once(tmp_path: Path) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    path = tmp_path / "laughs.rdf"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE r [{entities}]>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#" xmlns:e="http://e/"><rdf:Description rdf:about="http://e/a"><e:p>&a9;</e:p>'
        "</rdf:Description></rdf:RDF>"
    )
    assert len(path.read_bytes()) < 1200
    assert "DOCTYPE" in load_error(path).message
    assert os.getpid() > 0  # still here


def test_row_19_json_ld_contexts_by_reference_refused_without_fetching(tmp_path: Path, listener: Listener) -> None:
    documents = {
        "remote": {"@context": f"{listener.url}context.jsonld", "@id": "http://e/a", "p": "x"},
        "file": {"@context": "file:///etc/passwd", "@id": "http://e/a"},
        "relative": {"@context": "context.jsonld", "@id": "http://e/a"},
        "in-a-list": {"@context": [{"p": "http://e/p"}, f"{listener.url}c"], "@id": "http://e/a"},
        "nested": {"@id": "http://e/a", "http://e/p": {"@context": f"{listener.url}c", "@id": "http://e/b"}},
        "import": {"@context": {"@import": f"{listener.url}c", "p": "http://e/p"}, "@id": "http://e/a"},
    }
    (tmp_path / "context.jsonld").write_text(json.dumps({"@context": {"p": "http://e/p"}}))
    for name, document in documents.items():
        path = tmp_path / f"{name}.jsonld"
        path.write_text(json.dumps(document))
        error = load_error(path)
        assert "context" in error.message.lower() or "@import" in error.message, name
    assert listener.settle() == 0


@pytest.mark.parametrize("opening,closing", [("[ <http://e/p> ", "]"), ("( ", ")")])
def test_row_20_deeply_nested_turtle_is_a_clear_error(tmp_path: Path, opening: str, closing: str) -> None:
    text = "<http://e/s> <http://e/p>\n" + opening * 100_000 + "<http://e/o> " + closing * 100_000 + " .\n"
    path = tmp_path / "deep.ttl"
    path.write_text(text)
    error = load_error(path)
    assert error.path.endswith("deep.ttl") and error.line == 2 and "nesting" in error.message
    # The service's own data loader (pyoxigraph, for --data) does not recurse: it loads or says why.
    try:
        EmbeddedStore().replace(text.encode(), ox.RdfFormat.TURTLE)
    except StoreError as exc:
        assert "cannot load data" in str(exc)


@pytest.mark.parametrize("quote", ['"', "'"])
def test_row_20_nesting_hidden_after_a_long_string_ending_in_a_quote(tmp_path: Path, quote: str) -> None:
    """Review L17 (finding 13): rdflib reads \"\"\"a\"\"\"\" as the string a" (the string ends at the last three of
    the quotes); a pre-check that ended it at the first three took the fourth quote for a string hiding the
    brackets after it, and the file failed without a line number."""
    long = quote * 3 + "a" + quote * 4
    text = (
        f"<http://e/s> <http://e/p> 1 .\n<http://e/s> <http://e/p> {long} ; <http://e/q> "
        + "( " * 100_000
        + "1 "
        + ") " * 100_000
        + f"; <http://e/r> {quote}b{quote} .\n"
    )
    path = tmp_path / "deep_hidden_quad_quote.ttl"
    path.write_text(text)
    error = load_error(path)
    assert error.path.endswith("deep_hidden_quad_quote.ttl") and error.line == 2 and "nesting" in error.message
    # The same string at a harmless depth is read as rdflib reads it: the fourth quote is part of the string.
    shallow = tmp_path / "quad_quote.ttl"
    shallow.write_text(f"<http://e/s> <http://e/p> {long} ; <http://e/q> ( ( 1 ) ) ; <http://e/r> {quote}b{quote} .\n")
    from rdflib import Literal

    assert {str(o) for o in parse_file(shallow).objects() if isinstance(o, Literal)} == {"a" + quote, "1", "b"}


# --- what the rows rest on ------------------------------------------------------------------------


def test_the_guard_refuses_before_the_engine(listener: Listener) -> None:
    """Unit level: every SERVICE spelling is refused by the guard alone, and FROM only names known graphs."""
    for query in service_variants(listener.url):
        with pytest.raises(QueryRefused):
            check_query(query, frozenset())
    assert check_query(
        "PREFIX g: <http://g/> SELECT * FROM g:1 FROM NAMED <http://g/1> WHERE {}", frozenset({"http://g/1"})
    ).from_graphs == ("http://g/1", "http://g/1")
    for fine in [
        "SELECT ?service WHERE { ?service a <http://www.w3.org/ns/sparql-service-description#Service> }",
        'SELECT * WHERE { ?s ?p "SERVICE <x> { } ; DROP ALL" } # SERVICE',
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT * WHERE { ?s a sd:Service }",
    ]:
        assert check_query(fine, frozenset()).form == "SELECT"


def test_every_catalogue_query_passes_the_guard(catalogue) -> None:
    for query in catalogue.values():
        assert check_query(query.sparql, frozenset()).form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def test_workers_have_no_network(service: Service) -> None:
    if not service.health()["workers"]["network_isolated"]:
        pytest.skip("this kernel does not let a process drop its network (no network namespaces)")
    for pid in service.worker_pids():
        assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink(f"/proc/{service.proc.pid}/ns/net")


def test_twenty_concurrent_clients_get_correct_answers(service: Service, graph) -> None:
    workers_ready(service)
    asks = {f"ASK {{ <{ASGARD}> ?p ?o }}": True, "ASK { <http://e/none> ?p ?o }": False}

    def client(index: int) -> bool:
        if index % 3 == 0:
            return service.count() == len(graph)
        if index % 3 == 1:
            query = list(asks)[index % 2]
            return service.get(query).json()["boolean"] is asks[query]
        run = httpx.get(
            f"{service.base}/api/queries/methods-backed-by-guideline",
            params={"unit": "unn-asgard", "guideline": "psykoselidelser-2013"},
            timeout=30,
        )
        return len(run.json()["results"]["bindings"]) == 15

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(client, range(60)))
    assert all(answers)


@pytest.fixture(scope="module")
def small_memory_service():
    service = Service("--worker-memory-mb", "700", timeout=10.0, max_rows=50)
    yield service
    service.stop()


def test_a_query_that_exhausts_worker_memory_is_stopped(small_memory_service: Service) -> None:
    service = small_memory_service
    started = time.monotonic()
    response = service.get("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1")
    assert response.status_code == 503 and time.monotonic() - started < 10.0 + MARGIN
    assert_generic(response)
    assert service.count() > 0
    workers_ready(service)
    assert service.health()["workers"]["restarts"] >= 1


def test_workers_die_with_the_service(small_memory_service: Service) -> None:
    """No orphan keeps computing when the service is killed outright (SIGKILL, no clean-up)."""
    service = small_memory_service
    workers_ready(service)
    pids = service.worker_pids()
    assert len(pids) == 4  # 2 general, the fast lane and its standby
    slow = concurrent.futures.ThreadPoolExecutor(1).submit(
        lambda: httpx.get(f"{service.base}/sparql", params={"query": SLOW}, timeout=30)
    )
    time.sleep(0.5)  # one worker is busy with a query that would run for hours
    service.proc.kill()
    service.proc.wait(timeout=10)
    started = time.monotonic()
    while any(alive(pid) for pid in pids):
        assert time.monotonic() - started < 5, "query workers outlived the service"
        time.sleep(0.1)
    with pytest.raises(httpx.HTTPError):
        slow.result()
