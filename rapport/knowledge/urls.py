from django.urls import path

from rapport.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("knowledge/", views.article_list, name="list"),
    path("knowledge/new/", views.article_create, name="create"),
    path("knowledge/review/", views.review_queue, name="review"),
    path("knowledge/<int:article_id>/", views.article_detail, name="detail"),
    path("knowledge/<int:article_id>/edit/", views.article_edit, name="edit"),
    path("knowledge/<int:article_id>/<slug:action>/", views.article_act, name="act"),
    path(
        "knowledge/suggest/ticket/<int:ticket_id>/", views.suggest_for_ticket, name="suggest-ticket"
    ),
    path(
        "knowledge/suggest/conversation/<int:conversation_id>/",
        views.suggest_for_conversation,
        name="suggest-conversation",
    ),
    path("knowledge/from-case/<int:ticket_id>/", views.draft_from_case, name="from-case"),
    path("help/", views.help_index, name="help"),
    path("help/<int:article_id>/", views.help_article, name="help-article"),
]
