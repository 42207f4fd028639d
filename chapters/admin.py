from django.contrib import admin

from chapters.models import Chapter, Classification, Region, RegionStaff


class RegionStaffInline(admin.TabularInline):
    model = RegionStaff
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RegionStaffInline]


@admin.register(Chapter)
class ChapterAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "status", "cadence", "weekday", "start_time", "timezone", "currency"]
    list_filter = ["status", "region", "cadence", "weekday"]
    search_fields = ["name", "slug", "venue"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["region"]
    show_full_result_count = False


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
