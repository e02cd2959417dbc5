"""Minerals writes: a profit distribution, split 50/30/20, with the fund's 30 % in the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from covenant.access.principal import Principal, may
from covenant.audit.services import audit_record
from covenant.errors import Conflict, Forbidden
from covenant.ledger.services import profit_share_post
from covenant.money import MAX_USD, two_places_checked
from covenant.nations.tenancy import nation_scope
from sectors.core.models import Project

from .models import ProfitDistribution
from .split import profit_split

MAX_PROFIT = MAX_USD


def profit_distribution_record(
    *, project: Project, profit_usd: Decimal, actor: Principal, on: dt.date | None = None
) -> ProfitDistribution:
    """Split a minerals project's profit 50/30/20 and post the fund's part to the ledger."""
    if not may(
        actor, "projects:distribute_profit", nation=project.nation_id, sector=project.sector
    ):
        raise Forbidden("only this nation's admins and minerals stewards distribute its profit")
    if project.sector != "minerals":
        raise Conflict("profit distributions apply to minerals projects only")
    two_places_checked(profit_usd, field="profit_usd", positive=True, maximum=MAX_PROFIT)
    split = profit_split(profit_usd)
    on = on or timezone.now().date()
    nation = project.nation
    with nation_scope(nation), transaction.atomic():
        distribution = ProfitDistribution.objects.create(
            nation=nation,
            project=project,
            profit_usd=profit_usd,
            community_usd=split.community_usd,
            fund_usd=split.fund_usd,
            reinvestment_usd=split.reinvestment_usd,
            distributed_on=on,
            recorded_by=actor.pseudonym,
        )
        if split.fund_usd > 0:
            distribution.ledger_entry = profit_share_post(
                nation=nation,
                fund_usd=split.fund_usd,
                source=f"project:{project.pk}",
                actor=actor,
                on=on,
                reference=f"distribution:{distribution.pk}",
            )
            distribution.save(update_fields=["ledger_entry"])
        audit_record(
            action="project.profit_distributed",
            actor=actor.pseudonym,
            nation=nation,
            target_type="project",
            target_id=project.pk,
            data={
                "distribution": distribution.pk,
                "profit_usd": profit_usd,
                "community_usd": split.community_usd,
                "fund_usd": split.fund_usd,
                "reinvestment_usd": split.reinvestment_usd,
            },
        )
    return distribution
