from django.urls import path

from . import views

urlpatterns = [
    path("sectors/<slug:slug>/", views.sector_page, name="sector"),
    path("projects/<int:project_id>/", views.project_page, name="project"),
]
