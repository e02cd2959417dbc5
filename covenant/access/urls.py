"""Pages of the access core (the API's routes are in covenant/api/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.me_page, name="me"),
    path("shares/<str:label>/<int:pk>/", views.object_share, name="object-share"),
    path("me/tokens/", views.token_create, name="me-token-create"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="me-token-revoke"),
    path("n/<str:iso3>/roles/", views.roles_page, name="nation-roles"),
    path(
        "n/<str:iso3>/roles/<int:assignment_id>/approve/",
        views.role_approve_view,
        name="nation-role-approve",
    ),
    path(
        "n/<str:iso3>/roles/<int:assignment_id>/revoke/",
        views.role_revoke_view,
        name="nation-role-revoke",
    ),
    path("n/<str:iso3>/api-keys/", views.api_keys_page, name="nation-api-keys"),
    path(
        "n/<str:iso3>/api-keys/<int:key_id>/revoke/",
        views.api_key_revoke_view,
        name="nation-api-key-revoke",
    ),
]
