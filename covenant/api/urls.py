from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from covenant.access import api as access_api
from covenant.audit import api as audit_api
from covenant.ledger import api as ledger_api
from covenant.nations import api as nations_api

urlpatterns = [
    path("covenant/", nations_api.CovenantSummaryView.as_view(), name="api-covenant"),
    path("nations/", nations_api.NationListView.as_view(), name="api-nations"),
    path("nations/<str:iso3>/", nations_api.NationDetailView.as_view(), name="api-nation"),
    path(
        "nations/<str:iso3>/contributions/",
        ledger_api.ContributionListView.as_view(),
        name="api-contributions",
    ),
    path("nations/<str:iso3>/roles/", access_api.RoleListView.as_view(), name="api-roles"),
    path(
        "nations/<str:iso3>/roles/<int:assignment_id>/",
        access_api.RoleDetailView.as_view(),
        name="api-role",
    ),
    path(
        "nations/<str:iso3>/roles/<int:assignment_id>/approve/",
        access_api.RoleApproveView.as_view(),
        name="api-role-approve",
    ),
    path("nations/<str:iso3>/api-keys/", access_api.ApiKeyListView.as_view(), name="api-keys"),
    path(
        "nations/<str:iso3>/api-keys/<int:key_id>/",
        access_api.ApiKeyDetailView.as_view(),
        name="api-key",
    ),
    path(
        "nations/<str:iso3>/api-keys/<int:key_id>/revoke/",
        access_api.ApiKeyRevokeView.as_view(),
        name="api-key-revoke",
    ),
    path("ledger/entries/", ledger_api.LedgerEntryListView.as_view(), name="api-ledger-entries"),
    path(
        "ledger/entries/<int:entry_id>/",
        ledger_api.LedgerEntryDetailView.as_view(),
        name="api-ledger-entry",
    ),
    path(
        "ledger/entries/<int:entry_id>/reverse/",
        ledger_api.LedgerEntryReverseView.as_view(),
        name="api-ledger-entry-reverse",
    ),
    path("audit/entries/", audit_api.AuditEntryListView.as_view(), name="api-audit-entries"),
    path("audit/verify/", audit_api.AuditVerifyView.as_view(), name="api-audit-verify"),
    path("me/", access_api.MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
