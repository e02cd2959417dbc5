from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.retention import ArchiveInvalid, archive_restore, archive_root, archive_verify


class Command(BaseCommand):
    help = (
        "Restore the rows of a retention archive exactly (after verifying its SHA-256 against "
        "its manifest). ARCHIVE is a path, or a path relative to the archive root. --verify "
        "only checks it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--verify", action="store_true", help="verify only, restore nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        if path.name.endswith(".manifest.json"):
            path = path.with_name(path.name.removesuffix(".manifest.json"))
        if not path.exists() and (archive_root() / path).exists():
            path = archive_root() / path
        try:
            if options["verify"]:
                manifest = archive_verify(path)
                self.stdout.write(
                    f"archive intact: {manifest['rows']} {manifest['model']} rows, "
                    f"sha256 {manifest['sha256']}"
                )
                return
            restored = archive_restore(path)
        except (ArchiveInvalid, ValueError, OSError) as error:
            raise CommandError(f"not restored: {error}") from error
        self.stdout.write(f"restored {restored} rows from {path}")
