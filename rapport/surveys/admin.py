from django.contrib import admin

from rapport.surveys.models import Question, SavedSegment, SurveySettings, SurveyTemplate


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "link_valid_days", "fatigue_days", "low_csat", "low_nps"]

    def has_add_permission(self, request) -> bool:
        return not SurveySettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = [
        ("position", "code", "kind", "required"),
        ("text_zh", "text_en"),
        ("alt_text_zh", "alt_text_en"),
        "dimension",
        "options",
    ]


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "code", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    inlines = [QuestionInline]


@admin.register(SavedSegment)
class SavedSegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "stage", "tag", "created_by", "created_at"]
