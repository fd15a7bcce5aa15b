from django.contrib import admin

from .models import (
    Attribute,
    Card,
    Comparison,
    Deck,
    Fact,
    ReviewLog,
    ReviewState,
    StudyProfile,
    Vignette,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, edited or deleted here (generated content, learners' history)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RegeneratesCards:
    """Saving content regenerates the comparison's cards in place (stable natural keys)."""

    def comparison_of(self, obj) -> Comparison:
        return obj.comparison

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        counts = self.comparison_of(form.instance).generate_cards()
        changed = {k: v for k, v in counts.items() if v and k != "unchanged"}
        if changed:
            summary = ", ".join(f"{v} {k}" for k, v in changed.items())
            self.message_user(request, f"Cards regenerated: {summary}.")

    def delete_model(self, request, obj) -> None:
        comparison = self.comparison_of(obj)
        super().delete_model(request, obj)
        comparison.generate_cards()

    def delete_queryset(self, request, queryset) -> None:
        # The "delete selected" action skips delete_model: retire the orphaned cards here too.
        comparisons = {self.comparison_of(obj) for obj in queryset}
        super().delete_queryset(request, queryset)
        for comparison in comparisons:
            comparison.generate_cards()


class AttributeInline(admin.TabularInline):
    model = Attribute
    extra = 0
    fields = ("order", "key", "name", "question", "group", "article_row")
    show_change_link = True


class FactInline(admin.StackedInline):
    model = Fact
    extra = 0
    max_num = 2
    fields = ("side", "text", "source", "corrected", "original_text")


@admin.register(Comparison)
class ComparisonAdmin(RegeneratesCards, admin.ModelAdmin):
    list_display = ("title", "slug", "left_label", "right_label")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [AttributeInline]

    def comparison_of(self, obj):
        return obj


@admin.register(Attribute)
class AttributeAdmin(RegeneratesCards, admin.ModelAdmin):
    list_display = ("name", "comparison", "group", "order", "article_row")
    list_filter = ("comparison", "group")
    search_fields = ("name", "key", "question", "facts__text")
    ordering = ("comparison", "order")
    inlines = [FactInline]


@admin.register(Fact)
class FactAdmin(RegeneratesCards, admin.ModelAdmin):
    list_display = ("attribute", "side", "short_text", "corrected")
    list_filter = ("attribute__comparison", "side", "corrected", "attribute__group")
    search_fields = ("text", "source", "original_text", "attribute__name")
    list_select_related = ("attribute",)

    def comparison_of(self, obj):
        return obj.attribute.comparison

    @admin.display(description="text")
    def short_text(self, obj) -> str:
        return obj.text[:80]


@admin.register(Vignette)
class VignetteAdmin(RegeneratesCards, admin.ModelAdmin):
    list_display = ("key", "answer", "comparison", "order", "corrected")
    list_filter = ("comparison", "answer", "corrected")
    search_fields = ("key", "prompt", "explanation", "source")


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    """Cards are generated from facts: read-only here, edit the facts instead."""

    list_display = ("key", "kind", "group", "retired")
    list_filter = ("comparison", "kind", "group", "retired")
    search_fields = ("key", "front", "back")


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "comparison", "owner", "order")
    list_filter = ("comparison",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("cards",)
    raw_id_fields = ("owner",)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.sync_cards()


@admin.register(StudyProfile)
class StudyProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "time_zone", "new_per_day", "reviews_per_day", "desired_retention")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.register(ReviewState)
class ReviewStateAdmin(ReadOnlyAdmin):
    """Not deletable alone: a state without its logs would break reps == logs."""

    list_display = ("user", "card", "state", "due", "stability", "difficulty")
    list_filter = ("state",)
    search_fields = ("user__username", "card__key")
    raw_id_fields = ("user", "card")


@admin.register(ReviewLog)
class ReviewLogAdmin(ReadOnlyAdmin):
    """Review history is the learners' data: viewable, never edited or silently deleted."""

    list_display = ("user", "card", "rating", "kind", "reviewed_at")
    list_filter = ("rating", "kind")
    search_fields = ("user__username", "card__key")
    raw_id_fields = ("user", "card")
    date_hierarchy = "reviewed_at"
