"""A real Celery worker in its own process, whose exports go slowly (a pause between chunks of
rows), so that a test can kill it in the middle of one. Run by tests/compliance/test_worker.py
with the test database's DATABASE_URL and the private root in the environment."""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "covenant.settings.test")
sys.path.insert(0, os.getcwd())

import django

django.setup()

from django.conf import settings  # noqa: E402

from compliance import exports  # noqa: E402
from covenant.celery import app  # noqa: E402

settings.COMPLIANCE_PRIVATE_ROOT = os.environ["COMPLIANCE_PRIVATE_ROOT"]
exports.CHUNK_ROWS = int(os.environ.get("SLOW_EXPORT_CHUNK", "50"))
PAUSE = float(os.environ.get("SLOW_EXPORT_PAUSE", "0.1"))


def slowly() -> None:
    time.sleep(PAUSE)


exports.on_chunk = slowly
app.conf.task_always_eager = False

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ]
    )
