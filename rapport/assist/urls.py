from django.urls import path

from rapport.assist import views

app_name = "assist"
urlpatterns = [
    path("assist/coach/", views.coach_check_view, name="coach"),
    path("assist/phrases/", views.phrase_pick, name="phrases"),
    path("assist/coach/review/", views.coach_review, name="review"),
]
