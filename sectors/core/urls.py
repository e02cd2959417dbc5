from django.urls import path

from . import views

urlpatterns = [
    path("sectors/<slug:slug>/", views.sector_page, name="sector"),
]
