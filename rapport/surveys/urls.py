from django.urls import path

from rapport.surveys import views

app_name = "surveys"
urlpatterns = [
    path("satisfaction/", views.analysis_page, name="analysis"),
    path(
        "satisfaction/export/<slug:chart>.<slug:fmt>",
        views.analysis_export,
        name="analysis_export",
    ),
    path("satisfaction/surveys/", views.send_list, name="sends"),
    path("satisfaction/segments/", views.segment_create, name="segment_create"),
    path("satisfaction/campaigns/", views.campaign_send, name="campaign_send"),
    path("s/<str:token>/", views.respond, name="respond"),
]
