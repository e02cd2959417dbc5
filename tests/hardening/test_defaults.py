"""Safe defaults: outside manage.py the portal runs production settings (DEBUG off, no start
without SECRET_KEY); `make run` serves the demo with DEBUG off, so visitors see the portal's own
404/500 pages and the API's error shape, never Django's technical pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_error

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import {module}; from django.conf import settings; "
    "print(settings.SETTINGS_MODULE, settings.DEBUG)"
)


def _run(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    code = PROBE.format(module=module)
    if module == "covenant.celery":  # the Celery app configures Django lazily: load it
        code = "import django; " + code.replace("; from", "; django.setup(); from", 1)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("module", ["covenant.wsgi", "covenant.asgi", "covenant.celery"])
def test_entry_points_refuse_to_start_without_a_secret_key(module: str) -> None:
    result = _run(module)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("module", ["covenant.wsgi", "covenant.asgi", "covenant.celery"])
def test_entry_points_default_to_production_settings_with_debug_off(module: str) -> None:
    result = _run(module, SECRET_KEY="k" * 64, ALLOWED_HOSTS="covenant.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["covenant.settings.production", "False"]


def test_manage_py_keeps_the_development_default() -> None:
    text = (ROOT / "manage.py").read_text()
    assert 'setdefault("DJANGO_SETTINGS_MODULE", "covenant.settings.base")' in text


def test_make_run_serves_with_debug_off_and_its_static_files() -> None:
    recipe = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    serve = recipe[recipe.index("DEBUG=0") :]
    assert "runserver --insecure" in serve  # static files without DEBUG
    assert "SECRET_KEY=" in serve  # works on a fresh machine with no SECRET_KEY set


@pytest.mark.django_db
def test_a_missing_page_is_the_portals_own_styled_404(client, settings) -> None:
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Not found" in html and "css/covenant.css" in html and "Traceback" not in html
    assert_error(client.get("/api/v1/no/such/thing/"), 404, "not_found")


@pytest.mark.django_db
def test_a_server_error_is_the_portals_own_styled_500_and_the_apis_error_shape(
    client, settings, monkeypatch
) -> None:
    settings.DEBUG = False
    client.raise_request_exception = False

    def broken(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("covenant.pages.views.nation_get", broken)
    monkeypatch.setattr("covenant.nations.api.nation_get", broken)
    page = client.get("/n/KEN/")
    html = page.content.decode()
    assert page.status_code == 500
    assert "Something went wrong" in html and "/static/css/covenant.css" in html
    assert "boom" not in html and "Traceback" not in html
    error = assert_error(client.get("/api/v1/nations/KEN/"), 500, "server_error")
    assert "boom" not in error["message"]
