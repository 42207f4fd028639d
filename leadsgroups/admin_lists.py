"""Django admin lists that stay fast on tables of millions of rows (README "Scaling out", the admin at scale).

`LargeTableAdmin` counts a whole big table from PostgreSQL's estimate instead of `COUNT(*)`, and
`ChapterFilter` narrows a list to chapters found by name or slug instead of listing every chapter.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy

# Below this many rows (by the estimate) an exact COUNT(*) is cheap enough and reads better.
EXACT_COUNT_BELOW = 50_000


def table_row_estimate(model, *, using: str) -> int | None:
    """PostgreSQL's planner estimate of the table's rows (pg_class.reltuples); None if never analysed."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:  # -1: not vacuumed or analysed yet
        return None
    return int(row[0])


def query_row_estimate(queryset: QuerySet) -> int | None:
    """The PostgreSQL planner's estimate of the rows a filtered queryset returns (EXPLAIN, not run)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Counts a list of a big PostgreSQL table from the planner's estimates, not COUNT(*).

    The whole table: pg_class.reltuples. A filtered list the planner expects to be big (a status
    or kind filter over millions): its EXPLAIN estimate. A list expected below EXACT_COUNT_BELOW
    rows (a search, a chapter), a small table and every other database count exactly. The last
    page of an estimated list may come out a little short or empty; nobody pages to row 2,600,000.
    """

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if isinstance(qs, QuerySet) and connections[qs.db].vendor == "postgresql":
            if not qs.query.where:
                estimate = table_row_estimate(qs.model, using=qs.db)
            else:
                estimate = query_row_estimate(qs)
            if estimate is not None and estimate >= EXACT_COUNT_BELOW:
                return estimate
        return super().count


class LargeTableAdmin(admin.ModelAdmin):
    """A model admin for a table that grows without bound: no full COUNT(*) on any of its pages."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False  # "N results (M total)" would count the whole table on every search

    def get_search_results(self, request, queryset, search_term):
        # Searches here are prefixes and exact values (indexable), so "Ann Smith" is one name,
        # not two words each of which must start some field.
        if search_term and not any(q in search_term for q in "\"'") and len(search_term.split()) > 1:
            search_term = f'"{search_term.strip()}"'
        return super().get_search_results(request, queryset, search_term)


class ChapterFilter(admin.SimpleListFilter):
    """Narrows a list to the chapters whose name starts with (or whose slug is) what the admin types.

    Replaces `list_filter = ["chapter"]`, which renders a link per chapter (1,100 at scale) on
    every page. Chapters are few enough (thousands) that the name lookup itself is cheap.
    """

    title = gettext_lazy("chapter")
    parameter_name = "chapter"
    template = "admin/leadsgroups/chapter_filter.html"
    field_name = "chapter"  # the list model's foreign key to Chapter
    shown_matches = 10

    def _chapters(self):
        from chapters.models import Chapter

        value = (self.value() or "").strip()
        return Chapter.objects.filter(Q(slug=value) | Q(name__istartswith=value))

    @cached_property
    def _matches(self) -> list:
        if not (self.value() or "").strip():
            return []
        return list(self._chapters().order_by("name").values_list("slug", "name")[: self.shown_matches + 1])

    def has_output(self) -> bool:
        return True  # the search box shows even before anything is typed

    def lookups(self, request, model_admin):
        return []

    def queryset(self, request, queryset):
        if not (self.value() or "").strip():
            return queryset
        return queryset.filter(**{f"{self.field_name}__in": self._chapters().values("pk")})

    def choices(self, changelist):
        value = self.value() or ""
        yield {
            "selected": not value,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": gettext("All"),
        }
        for slug, name in self._matches[: self.shown_matches]:
            yield {
                "selected": slug == value,
                "query_string": changelist.get_query_string({self.parameter_name: slug}),
                "display": name,
            }
        # The search box keeps the list's other filters, ordering and search as hidden fields.
        self.hidden_params = [
            (k, v) for k, values in changelist.filter_params.items() if k not in (self.parameter_name, "p")
            for v in values
        ]
        self.more_matches = len(self._matches) > self.shown_matches


class ReadOnlyAdmin:
    """Mixin (first among the bases): the admin shows the rows and nothing else. For records written only
    by the app's own services, with their reasons and audit events: fines, cases, attendance, audit
    events, task runs, rules versions."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
