from django.urls import path

from . import api

urlpatterns = [
    path("sectors/", api.SectorListView.as_view(), name="api-sectors"),
    path("sectors/<slug:slug>/", api.SectorDetailView.as_view(), name="api-sector"),
    path("sectors/<slug:slug>/esg.csv", api.SectorEsgView.as_view(), name="api-sector-esg"),
    path("projects/", api.ProjectListView.as_view(), name="api-projects"),
    path("projects/<int:project_id>/", api.ProjectDetailView.as_view(), name="api-project"),
    path(
        "projects/<int:project_id>/profit-distributions/",
        api.ProfitDistributionView.as_view(),
        name="api-profit-distributions",
    ),
    path(
        "nations/<str:iso3>/projects/",
        api.NationProjectListView.as_view(),
        name="api-nation-projects",
    ),
    path("nations/<str:iso3>/esg.csv", api.NationEsgView.as_view(), name="api-nation-esg"),
]
