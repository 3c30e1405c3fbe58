from django.contrib import admin

from rapport.customers.models import Asset, Contact, Customer, CustomerMerge, Identity, Tag
from rapport.customers.registry import STANDING, customers_changed


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


class AssetInline(admin.TabularInline):
    model = Asset
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tier", "lifecycle_stage", "city", "created_at"]
    list_filter = ["tier", "lifecycle_stage", "kind"]
    search_fields = ["search_text"]
    inlines = [IdentityInline, AssetInline]
    raw_id_fields = ["merged_into", "account_manager", "created_by"]
    exclude = ["id_number"]  # personal data is revealed only through the audited action

    # The admin writes around the services: it announces what they would (registry).
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and set(form.changed_data) & set(STANDING):
            customers_changed([obj.pk])

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Asset and (formset.new_objects or formset.deleted_objects):
            customers_changed([form.instance.pk])


admin.site.register(Tag)
admin.site.register(Contact)


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    list_display = ["merged_at", "survivor", "merged", "merged_by"]

    def has_change_permission(self, request, obj=None):
        return False
