from django.urls import path

from . import views

urlpatterns = [
    path("privacy/", views.privacy_page, name="privacy"),
    path("privacy/exports/<str:token>/", views.export_download, name="privacy-export-download"),
    path("n/<str:iso3>/privacy/", views.nation_queue_page, name="privacy-queue"),
    path("n/<str:iso3>/privacy/file/", views.nation_queue_file, name="privacy-queue-file"),
    path(
        "n/<str:iso3>/privacy/<int:request_id>/<str:action>/",
        views.nation_queue_action,
        name="privacy-queue-action",
    ),
]
