"""Pages: `/privacy/` for every signed-in person, `/n/<iso3>/privacy/` for that nation's admins,
and the signed download of an export. htmx swaps forms' results in place; without JavaScript
every form posts and redirects back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from covenant.access.principal import may, principal_of_request
from covenant.accounts.models import User
from covenant.errors import DomainError
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope

from . import deadlines
from .exports import (
    LinkExpired,
    LinkInvalid,
    export_download_path,
    export_link_open,
    export_path,
)
from .models import (
    OPEN_STATUSES,
    TYPES_OF_REGIME,
    Channel,
    ExportState,
    PrivacyExport,
    PrivacyRequest,
    ReasonCode,
    RequestType,
)
from .selectors import (
    member_nations,
    nation_queue,
    open_request_count,
    overdue_dashboard_part,
    privacy_request_list,
    queue_counts,
    what_we_hold,
)
from .services import (
    DuplicateRequest,
    Filing,
    export_downloaded,
    extension_refusal,
    privacy_request_complete,
    privacy_request_extend,
    privacy_request_file,
    privacy_request_reject,
    privacy_request_verify,
)

TYPE_LABELS = dict(RequestType.choices)


def _type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The request form's one select: "gdpr:access"…, grouped by regime (no mismatch possible)."""
    order = [choice for choice, _ in RequestType.choices]
    return [
        (
            regime.upper(),
            [
                (f"{regime}:{value}", TYPE_LABELS[value])
                for value in order
                if value in TYPES_OF_REGIME[regime]
            ],
        )
        for regime in ("gdpr", "ccpa")
    ]


def _card(request: PrivacyRequest, *, viewer_id: int | None) -> dict[str, Any]:
    """What a page shows of one request."""
    export = getattr(request, "export", None)
    today = deadlines.utc_today()
    left = deadlines.days_left(request.due_on, today)
    return {
        "request": request,
        "overdue": deadlines.is_overdue(
            due_on=request.due_on, is_open=request.is_open, today=today
        ),
        "days_left": left,
        "days_late": -left,
        "can_extend": extension_refusal(request, today=today) is None,
        "export": export,
        "download": export_download_path(request, viewer_id=viewer_id),
    }


def _split_type(value: str) -> tuple[str, str]:
    regime, _, request_type = (value or "").partition(":")
    return regime, request_type


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- /privacy/ ----------------------------------------------------------------------------------


def _signed_in(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the views are login_required
    return user


def _my_requests(request: HttpRequest) -> list[dict[str, Any]]:
    principal = principal_of_request(request)
    user = _signed_in(request)
    rows = privacy_request_list(principal=principal).filter(subject=user)
    return [_card(row, viewer_id=user.pk) for row in rows.order_by("-created_at", "-id")]


def _privacy_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    principal = principal_of_request(request)
    home = [m.nation_iso3 for m in principal.memberships]
    answering = principal.nation_ids_with("privacy:manage")
    managed = sorted({m.nation_iso3 for m in principal.memberships if m.nation_id in answering})
    return {
        "held": what_we_hold(user=request.user),
        "requests": _my_requests(request),
        "type_choices": _type_choices(),
        "nations": member_nations(),
        "default_nation": extra.pop("nation", None) or (home[0] if home else ""),
        "managed": managed,
        **extra,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def privacy_page(request: HttpRequest) -> HttpResponse:
    """What the portal holds about you and why; file a request; follow it; download."""
    if request.method == "POST":
        return _file_own(request)
    return render(request, "compliance/privacy.html", _privacy_context(request))


def _file_own(request: HttpRequest) -> HttpResponse:
    principal = principal_of_request(request)
    regime, request_type = _split_type(request.POST.get("request", ""))
    iso3 = request.POST.get("nation", "")[:3].upper()
    details = request.POST.get("details", "")[:2000]
    nation = Nation.objects.filter(iso3=iso3).first()
    error = ""
    if nation is None:
        error = "Choose the nation you file with."
    else:
        try:
            filed = privacy_request_file(
                nation=nation,
                filing=Filing(regime=regime, type=request_type, details=details),
                actor=principal,
            )
        except DuplicateRequest as duplicate:
            error = (
                f"You already have an open request of this kind (#{duplicate.existing_id}); "
                "follow it below."
            )
        except DomainError as problem:
            error = problem.message
        else:
            note = f"Request #{filed.pk} filed: due by {filed.due_on:%d %B %Y}."
            if filed.builds_export:
                note += " Your export is being prepared; it will appear here when ready."
            if _is_htmx(request):
                return render(
                    request,
                    "compliance/_my_requests.html",
                    {"requests": _my_requests(request), "notice": note},
                )
            messages.success(request, note)
            return redirect("privacy")
    if _is_htmx(request):
        return render(
            request,
            "compliance/_my_requests.html",
            {"requests": _my_requests(request), "error": error},
        )
    context = _privacy_context(request, error=error, nation=iso3, details=details)
    return render(request, "compliance/privacy.html", context, status=400)


@never_cache
@login_required
def export_download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The signed link (7 days): tampered → 404, expired → 410, anyone but the subject → 404."""
    try:
        nation_id, export_id = export_link_open(token)
    except LinkInvalid:
        raise Http404("no such export") from None
    except LinkExpired:
        return render(request, "compliance/export_gone.html", status=410)
    with nation_scope(nation_id):
        export = (
            PrivacyExport.objects.select_related("request", "nation").filter(pk=export_id).first()
        )
        if export is None or export.request.subject_id != request.user.pk:
            raise Http404("no such export")
        path = export_path(export) if export.file_name else None
        if export.state != ExportState.READY or path is None or not path.exists():
            return render(request, "compliance/export_gone.html", status=410)
        export_downloaded(export=export, actor=principal_of_request(request))
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"covenant-privacy-export-{export.request_id}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- /n/<iso3>/privacy/ -------------------------------------------------------------------------


def _nation_for_admin(request: HttpRequest, iso3: str) -> Nation:
    """The nation, for its admins only: a 404 for everybody else (nothing to see here)."""
    nation = Nation.objects.filter(iso3=iso3.upper()).first() if len(iso3) == 3 else None
    if nation is None or not may(principal_of_request(request), "privacy:read", nation=nation):
        raise Http404("no such page")
    return nation


def _queue_context(request: HttpRequest, nation: Nation, **extra: Any) -> dict[str, Any]:
    principal = principal_of_request(request)
    show = request.GET.get("show", "open")
    rows = nation_queue(principal=principal, nation=nation)
    if show == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif show == "closed":
        rows = rows.exclude(status__in=OPEN_STATUSES)
    return {
        "nation": nation,
        "show": show if show in ("open", "closed", "all") else "open",
        "cards": [_card(row, viewer_id=None) for row in rows[:200]],
        "counts": queue_counts(nation=nation),
        "can_manage": may(principal, "privacy:manage", nation=nation),
        "reason_codes": ReasonCode.choices,
        "type_choices": _type_choices(),
        "channels": [c for c in Channel.choices if c[0] != Channel.PORTAL],
        "today": deadlines.utc_today(),
        **extra,
    }


@never_cache
@login_required
def nation_queue_page(request: HttpRequest, iso3: str) -> HttpResponse:
    nation = _nation_for_admin(request, iso3)
    return render(request, "compliance/queue.html", _queue_context(request, nation))


ACTIONS = ("verify", "extend", "complete", "reject")


@never_cache
@login_required
@require_POST
def nation_queue_action(request: HttpRequest, iso3: str, request_id: int, action: str) -> Any:
    """One transition, from a form in the queue; htmx swaps the request's card in place."""
    nation = _nation_for_admin(request, iso3)
    if action not in ACTIONS:
        raise Http404("no such action")
    principal = principal_of_request(request)
    with nation_scope(nation):
        target = PrivacyRequest.objects.filter(pk=request_id).first()
    if target is None:
        raise Http404("no such request")
    notice = error = ""
    try:
        if action == "verify":
            privacy_request_verify(
                request=target, actor=principal, outcome=request.POST.get("outcome", "verified")
            )
            notice = "Verification recorded."
        elif action == "extend":
            updated = privacy_request_extend(
                request=target, reason=request.POST.get("reason", "")[:500], actor=principal
            )
            notice = f"Extended: now due {updated.due_on:%d %B %Y}."
        elif action == "complete":
            completion = privacy_request_complete(request=target, actor=principal)
            notice = (
                "The export is being built; the request completes itself when it is ready."
                if completion.accepted
                else "Completed."
            )
        else:
            privacy_request_reject(
                request=target, reason_code=request.POST.get("reason_code", ""), actor=principal
            )
            notice = "Rejected."
    except DomainError as problem:
        error = problem.message
    if _is_htmx(request):
        with nation_scope(nation):
            fresh = nation_queue(principal=principal, nation=nation).get(pk=request_id)
        return render(
            request,
            "compliance/_queue_card.html",
            {
                "card": _card(fresh, viewer_id=None),
                "nation": nation,
                "can_manage": may(principal, "privacy:manage", nation=nation),
                "reason_codes": ReasonCode.choices,
                "notice": notice,
                "error": error,
            },
        )
    if error:
        messages.error(request, f"#{request_id}: {error}")
    else:
        messages.success(request, f"#{request_id}: {notice}")
    return redirect(
        f"{reverse('privacy-queue', kwargs={'iso3': nation.iso3.lower()})}#request-{request_id}"
    )


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@never_cache
@login_required
@require_POST
def nation_queue_file(request: HttpRequest, iso3: str) -> HttpResponse:
    """File a request on a person's behalf (received by post, e-mail, telephone…)."""
    nation = _nation_for_admin(request, iso3)
    principal = principal_of_request(request)
    regime, request_type = _split_type(request.POST.get("request", ""))
    received_raw = request.POST.get("received_on", "")
    received_on = _parse_date(received_raw)
    try:
        if received_raw and received_on is None:
            raise DomainError("The date of receipt is not a date (YYYY-MM-DD).")
        filed = privacy_request_file(
            nation=nation,
            filing=Filing(
                regime=regime,
                type=request_type,
                details=request.POST.get("details", "")[:2000],
                subject_email=request.POST.get("subject_email", "")[:254],
                received_on=received_on,
                channel=request.POST.get("channel") or None,
            ),
            actor=principal,
        )
    except DomainError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, f"Request #{filed.pk} recorded: due {filed.due_on:%d %B %Y}.")
    return redirect("privacy-queue", iso3=nation.iso3.lower())


def overdue_dashboard_html(request: HttpRequest) -> str:
    """The governance dashboard's part: overdue requests of the nations this admin answers for
    ("" for everyone else, who has no queue)."""
    part = overdue_dashboard_part(principal_of_request(request))
    if part is None:
        return ""
    return render_to_string("compliance/_dashboard_overdue.html", {"part": part}, request)


def me_privacy_html(request: HttpRequest, principal: Any) -> str | None:
    """The /me/ page's section: the person's open requests, and the way to /privacy/."""
    if principal.user is None:
        return None
    return render_to_string(
        "compliance/_me_privacy.html",
        {"open_count": open_request_count(user=principal.user)},
        request=request,
    )
