"""The API against its own OpenAPI document: schemathesis generates requests from the
document (valid ones and deliberately invalid ones) and checks that no answer is a 500,
that every status code, content type and body is one the document declares, and that
what the document forbids is refused. Not checked: that whatever the document allows is
accepted, since a schema cannot say which strings are queries in the query language or
cursors the API gave out; those answer a documented 400 instead.

Over the seed archive, ingested and enriched, with a token so the writing endpoints are
exercised too. Following a source is left out: it would fetch whatever address was
generated. A bounded number of examples per endpoint keeps the run under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import positive_data_acceptance

from conftest import archive_at
from presswatch import open_archive
from presswatch.web.app import create_app
from presswatch.web.settings import WebSettings

SEED = Path(__file__).parents[1] / "examples" / "csto-strategic-culture.txt"
EXAMPLES = 8


@pytest.fixture(scope="module")
def token_header() -> dict[str, str]:
    return {}


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, token_header: dict[str, str]
) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("schemathesis")
    with archive_at("sqlite", folder) as target, open_archive(target) as archive:
        [report] = archive.ingest([str(SEED)])
        assert report.status == "ok", report.error
        archive.enrich()
        archive.save_query("csto", "CSTO OR ОДКБ")
        token_header["Authorization"] = f"Bearer {archive.create_token('schemathesis')}"
        app = create_app(archive, WebSettings())
        yield schemathesis.openapi.from_asgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema").exclude(method="POST", path="/api/sources")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
def test_api_answers_as_documented(case: Any, token_header: dict[str, str]) -> None:
    case.call_and_validate(headers=token_header, excluded_checks=[positive_data_acceptance])
