from django.urls import path

from rapport.analytics import views

app_name = "analytics"
urlpatterns = [
    path("measures/team/", views.team_measures, name="team-measures"),
    path("measures/team/<slug:figure>/", views.team_measures_items, name="team-measures-items"),
]
