from django.urls import path

from rapport.appointments import measure_views, views, workorder_views

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

# Work orders (维修工单) and the workshop's measures.
urlpatterns += [
    path("workshop/work-orders/", workorder_views.work_order_list, name="work-orders"),
    path(
        "workshop/work-orders/<int:work_order_id>/",
        workorder_views.work_order_detail,
        name="work-order",
    ),
    path(
        "workshop/work-orders/<int:work_order_id>/print/",
        workorder_views.work_order_print,
        name="work-order-print",
    ),
    path(
        "workshop/work-orders/<int:work_order_id>/items/",
        workorder_views.work_order_add_item,
        name="work-order-item",
    ),
    path(
        "workshop/work-orders/<int:work_order_id>/authorise/",
        workorder_views.work_order_authorise,
        name="work-order-authorise",
    ),
    path(
        "workshop/work-orders/<int:work_order_id>/explain/",
        workorder_views.work_order_explain,
        name="work-order-explain",
    ),
    path(
        "workshop/work-orders/<int:work_order_id>/send/",
        workorder_views.work_order_send,
        name="work-order-send",
    ),
    path(
        "workshop/work-orders/<int:work_order_id>/step/<slug:step>/",
        workorder_views.work_order_step,
        name="work-order-step",
    ),
    path(
        "appointments/<int:appointment_id>/work-order/new/",
        workorder_views.work_order_open,
        name="work-order-open",
    ),
    path("workshop/measures/", measure_views.workshop_measures, name="measures"),
]
