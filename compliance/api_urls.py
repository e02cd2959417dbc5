from django.urls import path

from . import api

urlpatterns = [
    path("privacy/requests/", api.PrivacyRequestListView.as_view(), name="api-privacy-requests"),
    path(
        "privacy/requests/<int:request_id>/",
        api.PrivacyRequestDetailView.as_view(),
        name="api-privacy-request",
    ),
    path(
        "privacy/requests/<int:request_id>/verify/",
        api.PrivacyRequestVerifyView.as_view(),
        name="api-privacy-request-verify",
    ),
    path(
        "privacy/requests/<int:request_id>/extend/",
        api.PrivacyRequestExtendView.as_view(),
        name="api-privacy-request-extend",
    ),
    path(
        "privacy/requests/<int:request_id>/complete/",
        api.PrivacyRequestCompleteView.as_view(),
        name="api-privacy-request-complete",
    ),
    path(
        "privacy/requests/<int:request_id>/reject/",
        api.PrivacyRequestRejectView.as_view(),
        name="api-privacy-request-reject",
    ),
]
