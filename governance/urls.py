from django.urls import path, re_path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("councils/", views.councils_page, name="councils"),
    path("councils/<int:council_id>/", views.council_page, name="council"),
    path(
        "councils/<int:council_id>/seats/<str:code>/chair/",
        views.council_chair,
        name="council-chair",
    ),
    path("proposals/<int:proposal_id>/", views.proposal_page, name="proposal"),
    path("proposals/<int:proposal_id>/edit/", views.proposal_edit, name="proposal-edit"),
    path(
        "proposals/<int:proposal_id>/standing/",
        views.proposal_standing_fragment,
        name="proposal-standing",
    ),
    path("proposals/<int:proposal_id>/ballot/", views.proposal_ballot, name="proposal-ballot"),
    re_path(
        r"^proposals/(?P<proposal_id>[0-9]+)/(?P<action>open|close|withdraw)/$",
        views.proposal_transition,
        name="proposal-transition",
    ),
    path("notifications/", views.notifications_page, name="notifications"),
    re_path(r"^verify/(?P<name>recount\.py|counting\.py)$", views.verify_file, name="verify-file"),
]
