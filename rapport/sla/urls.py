from django.urls import path

from rapport.sla import views

app_name = "sla"
urlpatterns = [
    path("service-levels/", views.compliance, name="compliance"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/bulk/", views.alerts_bulk, name="alerts-bulk"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
]
