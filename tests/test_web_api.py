"""The REST API over a real archive: the seed, ingested and enriched, on SQLite (every
endpoint) and on PostgreSQL (search, facets, articles, saved queries).

Requests go through the whole app (create_app) with FastAPI's TestClient; adding a source
fetches a feed from a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import archive_at
from loopback import LoopbackServer
from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.web.api import make_cursor
from presswatch.web.app import create_app
from presswatch.web.settings import WebSettings
from search_corpus import EURASIA, _rss

SEED = Path(__file__).parents[1] / "examples" / "csto-strategic-culture.txt"
SEED_ARTICLES = 10


def _seeded(target: str) -> Archive:
    archive = open_archive(target)
    [report] = archive.ingest([str(SEED)])
    assert report.status == "ok", report.error
    archive.enrich()
    return archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    folder = tmp_path_factory.mktemp("api")
    with archive_at("sqlite", folder) as target, _seeded(target) as seeded:
        yield seeded


@pytest.fixture(scope="module")
def client(archive: Archive) -> TestClient:
    return TestClient(create_app(archive, WebSettings()))


@pytest.fixture(scope="module")
def token(archive: Archive) -> str:
    return archive.create_token("api-tests")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert body["error"]["message"]
    return dict(body["error"])


def _walk(client: TestClient, url: str) -> list[dict[str, Any]]:
    """Every item of a cursor-paged listing, following `next` links."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url is not None:
        page = client.get(next_url)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        next_url = page.json()["next"]
        assert len(items) <= 100, "the pages never end"
    return items


# -- search ----------------------------------------------------------------------------------


def test_search_finds_the_seed_with_highlighted_snippets(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "CSTO", "limit": 5}).json()
    assert body["total"] == SEED_ARTICLES and len(body["items"]) == 5
    first = body["items"][0]
    assert any(p["match"] and p["text"].lower() == "csto" for p in first["snippet"])
    assert "".join(p["text"] for p in first["title_parts"]) == first["title"]
    assert client.get(first["link"]).json()["article"]["id"] == first["id"]


def test_cursor_pages_cover_every_match_once_in_order(client: TestClient) -> None:
    newest = client.get("/api/search", params={"q": "CSTO", "sort": "newest", "limit": 10})
    whole = [h["id"] for h in newest.json()["items"]]
    paged = _walk(client, "/api/search?q=CSTO&sort=newest&limit=3")
    assert [h["id"] for h in paged] == whole and len(set(whole)) == SEED_ARTICLES
    dates = [h["published"] for h in paged]
    assert dates == sorted(dates, reverse=True)


def test_a_cursor_only_works_for_its_own_listing(client: TestClient) -> None:
    page = client.get("/api/search", params={"q": "CSTO", "limit": 3}).json()
    cursor = page["next_cursor"]
    other = client.get("/api/search", params={"q": "Russia", "limit": 3, "cursor": cursor})
    assert "another listing" in _error(other, 400)["message"]
    forged = base64.urlsafe_b64encode(json.dumps({"l": "x", "o": -5}).encode()).decode()
    for bad in ("not a cursor!", forged, "e30"):
        answer = client.get("/api/search", params={"q": "CSTO", "cursor": bad})
        assert "cursor" in _error(answer, 400)["message"]
    far = make_cursor(["articles", None, None, None, "newest", 50], 10**12)
    _error(client.get("/api/articles", params={"cursor": far}), 400)
    deep = make_cursor(["search", "CSTO", "relevance", 20], 10_000)
    assert (
        "narrow the query"
        in _error(client.get("/api/search", params={"q": "CSTO", "cursor": deep}), 400)["message"]
    )


def test_a_query_syntax_error_says_what_and_where(client: TestClient) -> None:
    error = _error(client.get("/api/search", params={"q": 'csto AND "peacekeeping'}), 400)
    assert "never closed" in error["message"]
    assert error["query"] == 'csto AND "peacekeeping' and error["position"] == 10
    assert error["pointer"].splitlines()[1].index("^") == error["pointer"].index('"')


def test_sort_and_limits_come_from_allowlists(client: TestClient) -> None:
    error = _error(client.get("/api/search", params={"q": "csto", "sort": "id; DROP"}), 422)
    assert error["fields"] and error["fields"][0]["where"] == "query.sort"
    _error(client.get("/api/search", params={"q": "csto", "limit": 0}), 422)
    _error(client.get("/api/search", params={"q": "csto", "limit": 101}), 422)
    _error(client.get("/api/search"), 422)


# -- facets, export and analysis ---------------------------------------------------------------


def test_each_facet_refines_to_exactly_its_count(client: TestClient) -> None:
    facets = client.get("/api/facets", params={"q": "CSTO OR Kazakhstan"}).json()
    assert facets["total"] == SEED_ARTICLES
    assert [v["value"] for v in facets["sources"]] == ["strategic-culture.org"]
    assert [v["value"] for v in facets["languages"]] == ["en"]
    assert sum(v["count"] for v in facets["years"]) == SEED_ARTICLES
    assert facets["authors"] and facets["entities"]
    for kind in ("sources", "authors", "languages", "entities", "years"):
        for value in facets[kind]:
            assert value["refine"].startswith("(CSTO OR Kazakhstan) ")
            found = client.get("/api/search", params={"q": value["refine"], "limit": 1})
            assert found.json()["total"] == value["count"], (kind, value)


def test_export_gives_the_matches_as_a_file(client: TestClient) -> None:
    csv_file = client.get("/api/export", params={"q": "CSTO", "format": "csv", "limit": 4})
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    lines = csv_file.text.splitlines()
    assert lines[0].startswith("id,source,feed_url,guid,url")
    jsonl = client.get("/api/export", params={"q": "CSTO", "format": "jsonl", "limit": 4})
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert len(records) == 4 and all("entities" in r for r in records)
    parquet = client.get("/api/export", params={"q": "CSTO", "format": "parquet"})
    assert parquet.content.startswith(b"PAR1")
    _error(client.get("/api/export", params={"q": "CSTO", "format": "xlsx"}), 422)


def test_timeline_counts_add_up_to_the_matches(client: TestClient) -> None:
    body = client.get(
        "/api/timeline", params=[("q", "CSTO"), ("q", "Kazakhstan"), ("by", "month")]
    ).json()
    assert [s["query"] for s in body["series"]] == ["CSTO", "Kazakhstan"]
    assert sum(body["series"][0]["counts"]) == SEED_ARTICLES
    assert len(body["periods"]) == len(body["totals"]) == len(body["gaps"])
    assert any(body["gaps"])  # the seed has months with nothing archived
    too_many = [("q", f"w{i}") for i in range(5)]
    _error(client.get("/api/timeline", params=too_many), 422)


def test_top_sources_and_terms(client: TestClient) -> None:
    sources = client.get("/api/top", params={"q": "CSTO", "kind": "sources"}).json()
    assert sources == [
        {"value": "strategic-culture.org", "count": 10, "of": 10, "score": None, "background": None}
    ]
    terms = client.get("/api/top", params={"q": "title:kazakhstan", "limit": 5}).json()
    assert len(terms) == 5 and all(t["score"] is not None and t["of"] == 3 for t in terms)
    assert "kazakhstan" not in {t["value"] for t in terms}


def test_clusters_answer_a_list(client: TestClient) -> None:
    assert client.get("/api/clusters", params={"q": "CSTO"}).json() == []  # one outlet


# -- articles, entities, quotes -----------------------------------------------------------------


def test_articles_pages_list_the_whole_archive(client: TestClient, archive: Archive) -> None:
    listed = _walk(client, "/api/articles?limit=4")
    assert [a["id"] for a in listed] == [a.id for a in archive.articles()]
    oldest = _walk(client, "/api/articles?limit=4&order=oldest")
    assert [a["id"] for a in oldest] == [a["id"] for a in reversed(listed)]
    since = client.get("/api/articles", params={"since": "2022-01-01T00:00:00Z"}).json()
    assert 0 < len(since["items"]) < SEED_ARTICLES
    assert all(a["published"] >= "2022-01-01" for a in since["items"])


def test_one_article_with_its_view_and_provenance(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": 'title:"color revolution"'}).json()["items"][0]
    body = client.get(f"/api/articles/{hit['id']}").json()
    assert body["article"]["title"] == hit["title"]
    view = body["view"]
    assert view["analysis"]["status"] == "analysed" and view["language"] == "en"
    assert view["mentions"] and view["entities"]
    for m in view["mentions"]:
        assert view["text"][m["start"] : m["end"]] == m["text"]
    assert body["provenance"]["feeds"] and body["provenance"]["fetches"]


def test_missing_and_malformed_ids(client: TestClient) -> None:
    assert "no article with id 9999" in _error(client.get("/api/articles/9999"), 404)["message"]
    _error(client.get("/api/articles/abc"), 422)
    _error(client.get("/api/entities/Nobody%20Atall"), 404)


def test_entities_and_one_entity_by_another_name(client: TestClient) -> None:
    top = client.get("/api/entities", params={"q": "CSTO", "limit": 5}).json()
    names = [e["name"] for e in top]
    assert "Collective Security Treaty Organization" in names
    csto = client.get("/api/entities/CSTO").json()
    assert csto["name"] == "Collective Security Treaty Organization"
    assert "CSTO" in {a["alias"] for a in csto["aliases"]}
    assert sum(m["count"] for m in csto["months"]) >= 1
    link = next(e["link"] for e in top if e["name"] == csto["name"])
    assert client.get(link).json()["name"] == csto["name"]


def test_quotes_in_a_query(client: TestClient) -> None:
    quotes = client.get("/api/quotes", params={"q": "CSTO", "limit": 5}).json()
    assert quotes and all(q["text"] and q["title"] for q in quotes)
    _error(client.get("/api/quotes", params={"speaker": "Nobody Atall"}), 404)


def test_sources_show_health(client: TestClient) -> None:
    [seed] = client.get("/api/sources").json()
    assert seed["articles"] == SEED_ARTICLES and seed["last_status"] == "ok"


# -- writing: tokens, saved queries, alerts, sources ------------------------------------------


def test_writing_needs_a_valid_token(client: TestClient) -> None:
    body = {"name": "csto", "query": "CSTO"}
    missing = client.post("/api/queries", json=body)
    assert "presswatch token create" in _error(missing, 401)["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    _error(client.post("/api/queries", json=body, headers=_auth("pw_wrong")), 401)
    _error(client.delete("/api/queries/csto"), 401)
    _error(client.get("/api/alerts"), 401)
    assert client.get("/api/queries").json() == []


def test_saved_queries_round_trip(client: TestClient, token: str) -> None:
    made = client.post(
        "/api/queries", json={"name": "kz", "query": "Kazakhstan"}, headers=_auth(token)
    )
    assert made.status_code == 201 and made.json()["query"] == "Kazakhstan"
    assert [q["name"] for q in client.get("/api/queries").json()] == ["kz"]
    assert client.get("/api/queries/kz").json()["query"] == "Kazakhstan"
    used = client.get("/api/search", params={"q": "@kz CSTO"}).json()
    assert used["expanded"] == "Kazakhstan AND CSTO" and used["total"] > 0
    bad = client.post("/api/queries", json={"name": "bad", "query": "csto ("}, headers=_auth(token))
    assert _error(bad, 400)["position"] == 6
    _error(
        client.post("/api/queries", json={"name": "1st", "query": "x"}, headers=_auth(token)), 422
    )
    assert client.delete("/api/queries/kz", headers=_auth(token)).status_code == 204
    _error(client.get("/api/queries/kz"), 404)
    _error(client.delete("/api/queries/kz", headers=_auth(token)), 404)


def test_alerts_round_trip(client: TestClient, token: str) -> None:
    client.post("/api/queries", json={"name": "watch", "query": "CSTO"}, headers=_auth(token))
    hook = {"query_name": "watch", "url": "http://127.0.0.1:9/hook"}
    made = client.post("/api/alerts", json=hook, headers=_auth(token))
    assert made.status_code == 201, made.text
    alert = made.json()
    assert alert["secret"] and alert["active"]
    listed = client.get("/api/alerts", headers=_auth(token)).json()
    assert [a["id"] for a in listed] == [alert["id"]] and listed[0]["secret"] is None
    log = client.get("/api/alerts/log", params={"alert_id": alert["id"]}, headers=_auth(token))
    assert log.status_code == 200 and log.json() == []
    unknown = {"query_name": "nothing-saved", "url": "http://127.0.0.1:9/hook"}
    _error(client.post("/api/alerts", json=unknown, headers=_auth(token)), 404)
    assert client.delete(f"/api/alerts/{alert['id']}", headers=_auth(token)).status_code == 204
    _error(client.delete(f"/api/alerts/{alert['id']}", headers=_auth(token)), 404)


def test_add_a_source_from_a_loopback_server(
    client: TestClient, token: str, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESSWATCH_ALLOW_NETWORKS", "loopback")
    feed = _rss("Eurasia Monitor", "https://eurasia-monitor.example/", "en", EURASIA, "news")
    url = loopback.serve("/news/eurasia-monitor.rss", feed.encode())
    added = client.post("/api/sources", json={"url": url}, headers=_auth(token))
    assert added.status_code == 201, added.text
    assert added.json()["new_articles"] == len(EURASIA) and added.json()["status"] == "ok"
    assert any(s["location"] == url for s in client.get("/api/sources").json())
    found = client.get("/api/search", params={"q": "source:eurasia-monitor.example"}).json()
    assert found["total"] == len(EURASIA)
    again = client.post("/api/sources", json={"url": url}, headers=_auth(token))
    assert again.status_code == 200 and again.json()["already"] is True
    page = b"<html><head><title>x</title></head><p>no feed here</p></html>"
    nothing = loopback.serve("/about.html", page, content_type="text/html")
    error = _error(client.post("/api/sources", json={"url": nothing}, headers=_auth(token)), 400)
    assert nothing in error["message"]


def test_reading_can_be_closed_by_the_setting(archive: Archive, token: str) -> None:
    closed = TestClient(create_app(archive, WebSettings(api_read="token")))
    _error(closed.get("/api/search", params={"q": "CSTO"}), 401)
    _error(closed.get("/api/articles/1"), 401)
    assert closed.get("/api/search", params={"q": "CSTO"}, headers=_auth(token)).status_code == 200


def test_next_links_are_absolute_only_under_the_configured_base(archive: Archive) -> None:
    based = TestClient(create_app(archive, WebSettings(base_url="https://news.example.org/pw")))
    page = based.get(
        "/api/search", params={"q": "CSTO", "limit": 2}, headers={"Host": "evil.example"}
    )
    assert page.json()["next"].startswith("https://news.example.org/pw/api/search?")
    assert page.json()["items"][0]["link"].startswith("https://news.example.org/pw/api/articles/")


def test_the_openapi_document_describes_every_endpoint(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/search",
        "/api/facets",
        "/api/export",
        "/api/timeline",
        "/api/top",
        "/api/clusters",
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/entities",
        "/api/entities/{name}",
        "/api/quotes",
        "/api/sources",
        "/api/queries",
        "/api/queries/{name}",
        "/api/alerts",
        "/api/alerts/{alert_id}",
        "/api/alerts/log",
    ):
        assert path in paths, path
    assert set(paths["/api/queries"]) == {"get", "post"}
    search = paths["/api/search"]["get"]
    assert {"200", "400", "401", "422"} <= set(search["responses"])
    sort = next(p for p in search["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == ["relevance", "newest", "oldest"]
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


# -- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("api-pg")
    with archive_at("postgresql", folder) as target, _seeded(target) as seeded:
        yield TestClient(create_app(seeded, WebSettings()))


def test_postgresql_search_pages_and_facets(pg_client: TestClient) -> None:
    paged = _walk(pg_client, "/api/search?q=CSTO&sort=oldest&limit=4")
    assert len({h["id"] for h in paged}) == SEED_ARTICLES
    facets = pg_client.get("/api/facets", params={"q": "CSTO"}).json()
    assert facets["total"] == SEED_ARTICLES
    for value in facets["entities"] + facets["years"] + facets["authors"]:
        found = pg_client.get("/api/search", params={"q": value["refine"], "limit": 1})
        assert found.json()["total"] == value["count"], value
    _error(pg_client.get("/api/search", params={"q": "csto )"}), 400)


def test_postgresql_articles_and_one_article(pg_client: TestClient) -> None:
    listed = _walk(pg_client, "/api/articles?limit=3")
    assert len(listed) == SEED_ARTICLES
    one = pg_client.get(listed[0]["link"]).json()
    assert one["article"]["id"] == listed[0]["id"] and one["view"]["mentions"]
    _error(pg_client.get("/api/articles/424242"), 404)


ODD_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Eurasia (Monitor) "Daily"</title><language>en-GB</language>
{items}
</channel></rss>"""
ODD_AUTHORS = ['Anna "AP" Petrova', "AND", "Kassym-Jomart Tokayev", "O'Neil (guest) \\ co*"]


def test_facet_values_are_quoted_so_their_refinement_runs(tmp_path: Path) -> None:
    items = "\n".join(
        f"<item><title>CSTO report {i}</title><guid>odd-{i}</guid>"
        f"<link>https://odd.example/{i}</link>"
        f"<dc:creator>{author.replace('&', '&amp;').replace('<', '&lt;')}</dc:creator>"
        f"<pubDate>Thu, 06 Jan 202{i} 10:00:00 +0000</pubDate>"
        f"<description>The CSTO met again.</description></item>"
        for i, author in enumerate(ODD_AUTHORS)
    )
    feed = tmp_path / "odd.xml"
    feed.write_text(ODD_FEED.format(items=items), encoding="utf-8")
    with open_archive(tmp_path / "odd.db") as archive:
        [report] = archive.ingest([str(feed)])
        assert report.status == "ok", report.error
        client = TestClient(create_app(archive, WebSettings()))
        facets = client.get("/api/facets", params={"q": "csto OR odkb"}).json()
        stored = {name for a in archive.articles() for name in a.authors}
        assert {v["value"] for v in facets["authors"]} == stored
        assert any('"' in name for name in stored) and "And" in stored
        assert [v["value"] for v in facets["languages"]] == ["en"]
        assert len(facets["years"]) == len(ODD_AUTHORS)
        values = facets["authors"] + facets["sources"] + facets["languages"] + facets["years"]
        for value in values:
            found = client.get("/api/search", params={"q": value["refine"]})
            assert found.status_code == 200, (value, found.text)
            assert found.json()["total"] == value["count"], value
        refine = {v["value"]: v["refine"] for v in facets["authors"]}
        assert refine["And"] == '(csto OR odkb) author:"And"'  # not the operator
        quoted = next(name for name in stored if '"' in name)
        assert refine[quoted].endswith('author:"' + quoted.replace('"', '\\"') + '"')
