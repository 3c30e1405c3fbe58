from django.urls import path

from rapport.care import views

app_name = "care"
urlpatterns = [
    path("care/", views.program_list, name="programs"),
    path("care/programs/new/", views.program_new, name="program-new"),
    path("care/programs/<int:program_id>/", views.program_detail, name="program"),
    path("care/programs/<int:program_id>/edit/", views.program_edit, name="program-edit"),
    path("care/programs/<int:program_id>/results/", views.program_results, name="results"),
    path(
        "care/programs/<int:program_id>/results.<str:fmt>",
        views.results_export,
        name="results-export",
    ),
    path("care/programs/<int:program_id>/<str:verb>/", views.program_state, name="program-state"),
    path("care/segments/", views.segment_list, name="segments"),
    path("care/segments/new/", views.segment_new, name="segment-new"),
    path("care/segments/<int:segment_id>/", views.segment_edit, name="segment"),
    path("care/segments/preview/", views.segment_preview, name="segment-preview"),
    path("care/runs/<int:run_id>/", views.run_detail, name="run"),
    path("care/runs/<int:run_id>/<str:verb>/", views.run_decide, name="run-decide"),
    path("care/customers/<int:customer_id>/", views.customer_panel, name="customer-panel"),
    path("care/calls/", views.task_list, name="tasks"),
    path("care/calls/<int:task_id>/", views.task_detail, name="task"),
]
