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
