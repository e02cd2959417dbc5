"""The 195 member nations: the covenant's tenants."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.db import models

from covenant.money import CENT

CONTRIBUTION_RATE = Decimal("0.0001")  # 1 basis point of GDP a year


def annual_pledge_for(gdp_usd: int | None) -> Decimal | None:
    """round(gdp × 0.0001, 2), half-even; no GDP, no pledge."""
    if gdp_usd is None:
        return None
    return (Decimal(gdp_usd) * CONTRIBUTION_RATE).quantize(CENT, rounding=ROUND_HALF_EVEN)


class Nation(models.Model):
    iso3 = models.CharField(max_length=3, unique=True)
    iso2 = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=120)
    region = models.CharField(max_length=40, db_index=True)
    subregion = models.CharField(max_length=60)
    income_group = models.CharField(max_length=40, blank=True, db_index=True)
    population = models.BigIntegerField(null=True)
    population_year = models.PositiveSmallIntegerField(null=True)
    gdp_usd = models.BigIntegerField(null=True)
    gdp_year = models.PositiveSmallIntegerField(null=True)
    # Derived from gdp_usd by annual_pledge_for() whenever the row is written (see save()); kept
    # as a column so that the covenant's totals are one SQL SUM.
    annual_pledge_usd = models.DecimalField(max_digits=20, decimal_places=2, null=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annual_pledge_usd__isnull=True)
                | models.Q(annual_pledge_usd__gte=0),
                name="nation_pledge_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(gdp_usd__isnull=True, annual_pledge_usd__isnull=True)
                | models.Q(gdp_usd__isnull=False, annual_pledge_usd__isnull=False),
                name="nation_pledge_iff_gdp",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.iso3})"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.annual_pledge_usd = annual_pledge_for(self.gdp_usd)
        super().save(*args, **kwargs)

    @property
    def pledge_missing(self) -> bool:
        """Flag: no GDP in the source data, so no pledge can be computed."""
        return self.gdp_usd is None
