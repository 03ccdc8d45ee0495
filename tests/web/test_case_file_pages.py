"""A traveller's case file through the application: the form on the traveller's page, the printable page
(its own header, no navigation) and the JSON download, POSTed with the CSRF token and a purpose, only by
the roles that may export, every export audited; a network's traveller leads to its page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from test_review_pages import Data, first_hit, review_site
from test_security import form_token

from openpiu.model.access import Role

PURPOSE = "investigation 2026/31 of the national police"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Data]:
    yield from review_site(tmp_path_factory.mktemp("case-file"))


def traveller_page(client: TestClient) -> tuple[str, str]:
    """The path of a traveller with an identity, and its page."""
    hit = client.get(f"/hits/{first_hit(client)}").text
    found = re.search(r'href="(/travellers/\d+)"', hit)
    assert found
    page = client.get(found.group(1))
    assert page.status_code == 200
    return found.group(1), page.text


def export_action(page: str) -> str:
    found = re.search(r'action="(/identities/\d+/case-file)"', page)
    assert found, "the traveller's page offers no case file"
    return found.group(1)


def test_an_analyst_exports_a_printable_page_and_a_json_file(data: Data) -> None:
    client = data.client(Role.ANALYST)
    _, page = traveller_page(client)
    action = export_action(page)
    token = form_token(page)
    form = {"csrf_token": token, "purpose": PURPOSE, "case_reference": "CASE-17", "hops": "2"}
    printable = client.post(action, data={**form, "format": "page"})
    assert printable.status_code == 200
    text = printable.text
    assert "<h1>Case file CASE-17</h1>" in text
    assert 'class="exported-by">analyst<' in text
    assert PURPOSE in text
    assert 'href="/static/casefile.css"' in text
    assert '<nav aria-label="Sections">' not in text  # no navigation chrome on a printed page
    assert "Journeys (" in text
    assert "<svg" in text
    assert " local " in text
    assert "Network (within 2 links" in text
    download = client.post(action, data={**form, "format": "json"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"].startswith('attachment; filename="case-file-identity-')
    document = json.loads(download.text)
    assert document["header"]["purpose"] == PURPOSE
    assert document["header"]["exported_by"] == "analyst"
    assert document["network"]["hops"] == 2
    exports = [e for e in data.site.events() if e.action == "case_file.export" and e.reason == PURPOSE]
    assert len(exports) == 2
    assert all(e.actor == "analyst" for e in exports)


def test_an_export_needs_the_csrf_token_and_a_purpose(data: Data) -> None:
    client = data.client(Role.ANALYST)
    _, page = traveller_page(client)
    action = export_action(page)
    before = len([e for e in data.site.events() if e.action == "case_file.export"])
    assert client.post(action, data={"purpose": PURPOSE}).status_code == 403
    refused = client.post(action, data={"csrf_token": form_token(page), "purpose": "why"})
    assert refused.status_code == 422
    assert "purpose" in refused.text
    missing = client.post(
        "/identities/999999999/case-file", data={"csrf_token": form_token(page), "purpose": PURPOSE}
    )
    assert missing.status_code == 404
    assert len([e for e in data.site.events() if e.action == "case_file.export"]) == before


def test_only_the_roles_that_may_export_are_offered_it(data: Data) -> None:
    analyst = data.client(Role.ANALYST)
    _, page = traveller_page(analyst)
    action = export_action(page)
    dpo = data.client(Role.DPO)
    path, seen = traveller_page(dpo)
    assert "case-file" not in seen  # the DPO reads; exporting is not reading
    assert dpo.post(action, data={"csrf_token": form_token(seen), "purpose": PURPOSE}).status_code == 403
    operator = data.client(Role.OPERATOR)
    assert operator.get(path).status_code == 403


def test_a_network_traveller_leads_to_the_travellers_page(data: Data) -> None:
    client = data.client(Role.ANALYST)
    _, page = traveller_page(client)
    identity = re.search(r'action="/identities/(\d+)/case-file"', page)
    assert identity
    opened = client.get(f"/identities/{identity.group(1)}")
    assert opened.status_code == 303
    assert re.fullmatch(r"/travellers/\d+", opened.headers["location"])
    assert client.get(opened.headers["location"]).status_code == 200
    assert client.get("/identities/999999999").status_code == 404
