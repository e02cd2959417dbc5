"""The nation page lists the nation's projects by sector and links its ESG report."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_the_nation_page_shows_projects_by_sector(
    client, projects, django_capture_on_commit_callbacks
) -> None:
    html = client.get("/n/ken/").content.decode()
    assert "Projects by sector" in html
    assert "/api/v1/nations/KEN/esg.csv" in html
    assert "/sectors/energy/?nation=KEN" in html
    section = html.split("Projects by sector", 1)[1]
    assert "$1,000,000.00" in section  # each Kenyan sector holds one project of 1 M USD
