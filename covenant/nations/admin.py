from django.contrib import admin

from covenant.admin_readonly import ReadOnlyAdmin

from .models import Nation


@admin.register(Nation)
class NationAdmin(ReadOnlyAdmin):
    """Nations come from fixtures/countries.csv (`manage.py seed`)."""

    list_display = ["iso3", "name", "region", "income_group", "gdp_usd", "annual_pledge_usd"]
    list_filter = ["region", "income_group"]
    search_fields = ["iso3", "iso2", "name"]
