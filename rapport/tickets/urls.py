from django.urls import path

from rapport.tickets import views, views_bulk, views_saved

app_name = "tickets"
urlpatterns = [
    path("tickets/", views.ticket_queue, name="queue"),
    path("tickets/new/", views.ticket_create, name="create"),
    path("tickets/bulk/", views_bulk.ticket_bulk, name="bulk"),
    path("tickets/views/", views_saved.saved_view_create, name="view-save"),
    path("tickets/views/<int:view_id>/delete/", views_saved.saved_view_remove, name="view-delete"),
    path("tickets/<int:ticket_id>/merge/", views_bulk.ticket_merge_view, name="merge"),
    path("tickets/<int:ticket_id>/split/", views_bulk.ticket_split_view, name="split"),
    path("tickets/improvements/", views.improvement_list, name="improvements"),
    path(
        "tickets/improvements/<int:improvement_id>/done/",
        views.improvement_complete,
        name="improvement-complete",
    ),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("tickets/<int:ticket_id>/events/", views.ticket_timeline_between, name="events"),
    path("tickets/customers/<int:customer_id>/panel/", views.customer_panel, name="customer-panel"),
    path("tickets/<int:ticket_id>/act/<slug:action>/", views.ticket_act, name="act"),
    path(
        "tickets/<int:ticket_id>/form/<slug:action>/",
        views.ticket_action_form,
        name="action-form",
    ),
    path("tickets/<int:ticket_id>/claim/", views.ticket_claim, name="claim"),
    path("tickets/<int:ticket_id>/send-link/", views.ticket_send_link, name="send-link"),
    path(
        "tickets/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    # Public: no login.
    path("support/new/", views.public_ticket_form, name="public-form"),
    path("support/t/<str:token>/", views.public_ticket_track, name="track"),
    path("support/t/<str:token>/answer/", views.public_ticket_answer, name="track-answer"),
    path("support/t/<str:token>/confirm/", views.public_ticket_confirm, name="track-confirm"),
]
