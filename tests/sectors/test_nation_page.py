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


@pytest.mark.django_db
def test_a_project_has_its_own_page_linked_from_its_sector(client, projects) -> None:
    project = projects["ken_energy"]
    sector_html = client.get("/sectors/energy/").content.decode()
    assert f'href="/projects/{project.pk}/"' in sector_html
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert project.name in html and "Kenya" in html and "$1,000,000.00" in html
    assert (
        "100 MW" in html and "20 MW" in html and "80 MW" in html
    )  # capacity, reserve, dispatchable
    assert client.get("/projects/999999/").status_code == 404


@pytest.mark.django_db
def test_the_sector_page_survives_hostile_filters(client, projects) -> None:
    for query in ("q=%00", "q=a%26b", "nation=%00%00%00", "status=%00", "page=-1", "page=x"):
        response = client.get(f"/sectors/energy/?{query}")
        assert response.status_code == 200, query
    html = client.get("/sectors/energy/?q=a%26b&page=1").content.decode()
    assert 'value="a&amp;b"' in html  # the search is kept, escaped, in the form
