from django.urls import path

from rapport.appointments import views

app_name = "appointments"
urlpatterns = [
    path("appointments/", views.board, name="board"),
    path("appointments/book/<int:customer_id>/", views.book, name="book"),
    path("appointments/<int:appointment_id>/", views.detail, name="detail"),
    path("appointments/<int:appointment_id>/arrive/", views.arrive, name="arrive"),
    path("appointments/<int:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:appointment_id>/<str:verb>/", views.act, name="act"),
    path("appointments/customers/<int:customer_id>/", views.customer_panel, name="customer-panel"),
]

# The customer self-booking pages (public: no staff login).
from rapport.appointments import selfbooking  # noqa: E402

urlpatterns += [
    path("book/", selfbooking.selfbook_start, name="selfbook"),
    path("book/verify/", selfbooking.selfbook_verify, name="selfbook-verify"),
    path("book/logout/", selfbooking.selfbook_logout, name="selfbook-logout"),
    path("book/mine/", selfbooking.selfbook_home, name="selfbook-home"),
    path("book/mine/new/", selfbooking.selfbook_new, name="selfbook-new"),
    path("book/mine/<int:appointment_id>/move/", selfbooking.selfbook_move, name="selfbook-move"),
    path(
        "book/mine/<int:appointment_id>/cancel/",
        selfbooking.selfbook_cancel,
        name="selfbook-cancel",
    ),
]
