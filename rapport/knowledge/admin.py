from django.contrib import admin

from rapport.knowledge.models import Article, Synonym


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ["words", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["words"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-mostly: articles are written and published through the knowledge pages, where the
    workflow, the sanitising and the index update happen."""

    list_display = ["title", "kind", "state", "audience", "language", "owner", "updated_at"]
    list_filter = ["state", "kind", "audience", "language"]
    search_fields = ["title"]
    readonly_fields = [f.name for f in Article._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
