"""The catalogue for people, over HTTP on the real service (issue 12 item 5): /sporringer and /queries list every
question by topic with both titles; a question's page has a form whose select lists hold exactly the resources of
the parameter's kind (or the concepts of its scheme), date pickers with the default, column headers from
``#+ column`` in the page's language, sorting by query string, the catalogue's own refusal on the page, and
downloads that are the URL a program uses.

Expected answers: offers-by-referrer for the GP as of 1.10.2021 (seed 001_17db9149d318b85f.txt «Innsøkningsprosess»
L1654 «Det samme gjelder for fastleger», the Helse Nord protocol L762 «Henvisningene må komme fra
spesialisthelsetjenesten», Vegsund DPS «Dersom fastlege henviser, må henvisningen gå via lokal
spesialisthelsetjeneste», Helse Sør-Øst and Helse Vest's sentences on GP referral): five rows, UNN Åsgård twice
because the sources disagree (pinned in tests/expected/offers-by-referrer.json).
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from markupsafe import escape

from mfbt_kg.namespaces import sparql_prologue
from mfbt_kg.sparql.catalogue import NamedQuery
from mfbt_kg.sparql.store import Store
from service_fixtures import Service, ServicePool

BROWSER = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def server(services: ServicePool) -> Service:
    return services.get()


def get(server: Service, path: str, **params: str) -> httpx.Response:
    return httpx.get(server.base + path, params=params, headers=BROWSER, timeout=30)


def test_the_list_names_every_question_in_both_languages(server: Service, catalogue: dict[str, NamedQuery]) -> None:
    nb = get(server, "/sporringer", lang="nb")
    en = get(server, "/queries", lang="en")
    assert nb.status_code == en.status_code == 200
    for name, query in catalogue.items():
        assert f'href="/sporringer/{name}"' in nb.text and f'href="/queries/{name}"' in en.text
        assert str(escape(query.title_nb)) in nb.text and str(escape(query.title_en)) in en.text
    assert "<h1>Ferdige spørsmål til grafen</h1>" in nb.text and "<h1>Ready-made questions to the graph</h1>" in en.text
    assert 'href="/sporringer" aria-current="page"' in nb.text  # the main menu leads here, not to /api/queries
    assert 'href="/api/queries"' in nb.text  # and says where programs get the same


def test_a_select_list_holds_exactly_the_resources_of_the_parameters_kind(server: Service, store: Store) -> None:
    page = get(server, "/sporringer/offers-prioritising-diagnosis", lang="nb").text
    select = re.search(r'<select id="param-diagnosis".*?</select>', page, re.S).group(0)
    values = re.findall(r'<option value="([^"]*)"', select)
    groups = store.select(
        sparql_prologue() + "SELECT ?g WHERE { ?g ?p ?o FILTER (STRSTARTS(STR(?g), STR(id:)) "
        '&& STRSTARTS(STR(?g), CONCAT(STR(id:), "diagnosis-group/"))) } GROUP BY ?g'
    ).records()
    slugs = sorted(r["g"].value.rsplit("/", 1)[-1] for r in groups)
    assert values[0] == "" and sorted(values[1:]) == slugs  # a required value: «velg» first, then every group
    assert "<table" not in page.split('<main id="main">')[1]  # nothing is run before a required value is given
    policy = get(server, "/sporringer/offers-accepting-compulsory-care").text
    options = re.findall(
        r'<option value="([^"]*)"', re.search(r'<select id="param-policy".*?</select>', policy, re.S).group(0)
    )
    assert sorted(options) == [
        "compulsory-policy-accepts-conditionally",
        "compulsory-policy-excludes",
        "compulsory-policy-undecided",
    ]  # the concepts of CompulsoryCarePolicyScheme only
    dated = get(server, "/sporringer/offers-by-referrer").text
    assert re.search(r'<input type="date" id="param-date" name="date" value="2018-05-14"', dated)


def test_the_answer_table_headers_sorting_and_downloads(server: Service) -> None:
    page = get(server, "/sporringer/offers-by-referrer", referrer="gp", date="2021-10-01", lang="nb")
    assert page.status_code == 200
    headers = re.findall(r'<th scope="col"[^>]*><a [^>]*>([^<]+)<span', page.text)
    assert headers[:3] == ["gjelder", "kan henvise direkte", "via"]  # #+ column, Norwegian; subject_label folded in
    rows = re.findall(r"<tr><td>(.*?)</td>", page.text)
    assert len(rows) == 5 and sum("/id/offer/unn-asgard" in r for r in rows) == 2
    assert page.text.count('class="basis basis-sources-disagree"') == 2  # UNN's two rows carry the marker
    csv_href = html.unescape(re.search(r'<a href="([^"]+)" download="offers-by-referrer.csv"', page.text).group(1))
    assert csv_href == "/api/queries/offers-by-referrer?referrer=gp&date=2021-10-01&format=csv"
    program = httpx.get(server.base + csv_href, timeout=30)
    assert program.status_code == 200 and program.text.count("\r\n") == 6  # header and five rows
    down = get(
        server,
        "/sporringer/offers-by-referrer",
        referrer="gp",
        date="2021-10-01",
        sort="subject",
        order="desc",
        lang="en",
    )
    assert 'aria-sort="descending"' in down.text and '<th scope="col" aria-sort="descending"><a' in down.text
    firsts = re.findall(r'<tr><td><a href="[^"]+"[^>]*>([^<]+)</a>', down.text)
    assert len(firsts) == 5 and firsts == sorted(firsts, key=str.lower, reverse=True)
    english = re.findall(r'<th scope="col"[^>]*><a [^>]*>([^<]+)<span', down.text)
    assert english[:3] == ["subject", "may refer directly", "via"]


def test_a_refused_value_is_said_on_the_page(server: Service) -> None:
    page = get(server, "/sporringer/offers-by-referrer", referrer="gp", date="31.12.2021", lang="nb")
    assert page.status_code == 400 and 'role="alert"' in page.text
    assert "must be a date YYYY-MM-DD, not &#39;31.12.2021&#39;" in page.text
    assert get(server, "/sporringer/no-such-question").status_code == 404
