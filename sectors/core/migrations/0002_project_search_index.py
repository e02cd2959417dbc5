"""The full-text search index of projects: a GIN index on the same expression the search
uses (sectors.core.selectors.project_search_vector), created on PostgreSQL only."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "project_search_gin"


def _index() -> GinIndex:
    vector = SearchVector("name", config="english", weight="A") + SearchVector(
        "description", config="english", weight="B"
    )
    return GinIndex(vector, name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("sectors_core", "Project"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("sectors_core", "Project"), _index())


class Migration(migrations.Migration):
    dependencies = [("sectors_core", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
