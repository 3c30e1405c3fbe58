from django.urls import path

from rapport.interactions import views

app_name = "interactions"
urlpatterns = [
    path("tasks/", views.my_tasks, name="tasks"),
    path("tasks/bulk/", views.tasks_bulk, name="tasks-bulk"),
    path("tasks/<int:task_id>/complete/", views.task_complete, name="task-complete"),
    path("tasks/<int:task_id>/cancel/", views.task_cancel, name="task-cancel"),
    path("measures/", views.measures, name="measures"),
    path("status/", views.agent_status, name="agent-status"),
    path(
        "interactions/customers/<int:customer_id>/timeline/",
        views.customer_timeline,
        name="customer-timeline",
    ),
    path("interactions/customers/<int:customer_id>/log/", views.quick_log, name="log"),
    path("interactions/<int:interaction_id>/", views.interaction_detail, name="detail"),
    path("interactions/<int:interaction_id>/correct/", views.interaction_correct, name="correct"),
    path(
        "interactions/<int:interaction_id>/transfer/", views.interaction_transfer, name="transfer"
    ),
    path("interactions/<int:interaction_id>/tasks/", views.task_add, name="task-add"),
]
