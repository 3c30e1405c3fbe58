from django.urls import path

from rapport.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export.xlsx", views.customer_export, name="export"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/identities/", views.identity_add, name="identity-add"),
    path("identities/<int:identity_id>/remove/", views.identity_remove, name="identity-remove"),
    path("<int:customer_id>/reveal/", views.customer_reveal, name="reveal"),
    path("<int:customer_id>/assets/new/", views.asset_form, name="asset-add"),
    path("<int:customer_id>/assets/<int:asset_id>/", views.asset_form, name="asset-edit"),
    path("<int:customer_id>/contacts/", views.contact_add, name="contact-add"),
    path("<int:customer_id>/consent/", views.consent_add, name="consent"),
    path("<int:customer_id>/tags/", views.tags_set, name="tags"),
    path("<int:customer_id>/merge/", views.customer_merge, name="merge"),
]
