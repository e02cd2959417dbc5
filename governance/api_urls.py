from django.urls import path

from . import api

urlpatterns = [
    path("councils/", api.CouncilListView.as_view(), name="api-councils"),
    path("councils/<int:council_id>/", api.CouncilDetailView.as_view(), name="api-council"),
    path(
        "councils/<int:council_id>/proposals/",
        api.CouncilProposalsView.as_view(),
        name="api-council-proposals",
    ),
    path(
        "councils/<int:council_id>/seats/<str:code>/chair/",
        api.CouncilChairView.as_view(),
        name="api-council-chair",
    ),
    path("proposals/", api.ProposalListView.as_view(), name="api-proposals"),
    path("proposals/<int:proposal_id>/", api.ProposalDetailView.as_view(), name="api-proposal"),
    path(
        "proposals/<int:proposal_id>/open/",
        api.ProposalOpenView.as_view(),
        name="api-proposal-open",
    ),
    path(
        "proposals/<int:proposal_id>/close/",
        api.ProposalCloseView.as_view(),
        name="api-proposal-close",
    ),
    path(
        "proposals/<int:proposal_id>/withdraw/",
        api.ProposalWithdrawView.as_view(),
        name="api-proposal-withdraw",
    ),
    path(
        "proposals/<int:proposal_id>/ballots/",
        api.BallotView.as_view(),
        name="api-proposal-ballots",
    ),
    path(
        "proposals/<int:proposal_id>/ballots/mine/",
        api.MyBallotsView.as_view(),
        name="api-proposal-my-ballots",
    ),
    path(
        "proposals/<int:proposal_id>/tally/",
        api.StandingView.as_view(),
        name="api-proposal-tally",
    ),
    path("proposals/<int:proposal_id>/log/", api.VoteLogView.as_view(), name="api-proposal-log"),
    path(
        "proposals/<int:proposal_id>/bundle/",
        api.BundleView.as_view(),
        name="api-proposal-bundle",
    ),
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/unread/", api.UnreadView.as_view(), name="api-notifications-unread"),
    path(
        "notifications/read-all/",
        api.NotificationReadAllView.as_view(),
        name="api-notifications-read-all",
    ),
    path(
        "notifications/settings/",
        api.NotificationSettingsView.as_view(),
        name="api-notification-settings",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        api.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
]
