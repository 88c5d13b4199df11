"""Pagination that never counts a whole table (issue 14: the family list's COUNT(*) took 210 ms at 100k families).

The count stops at COUNT_CAP + 1 rows (an unordered ``SELECT COUNT(*) FROM (… LIMIT 1001)``): up to the cap the
total is exact and pages show "page 3 of 12"; past it the page says "over 1,000" and shows the page number only.
Whether a next page exists comes from reading one row more than the page shows, so "next" works at any depth, past
the cap too. A first page that is not full needs no count at all.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 1000


class CappedPage(Page):
    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class CappedCountPaginator(Paginator):
    """A Paginator whose `count` is exact up to `cap` and `cap` beyond (then `capped` is True)."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, cap: int | None = None):
        # No orphans: merging a short last page into the previous one needs the exact count.
        super().__init__(object_list, per_page, 0, allow_empty_first_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list
        if hasattr(rows, "order_by"):
            # No sort (the count may stop at the cap in any order) and no selected annotations (the rows' JSON).
            rows = rows.order_by().values("pk")
        rows = rows[: self.cap + 1]
        return rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    def validate_number(self, number) -> int:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        # Page 1 needs no count; past the cap any page may exist (page() finds out).
        if number > 1 and not self.capped and number > self.num_pages:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number) -> CappedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        more = len(rows) > self.per_page
        if number == 1 and not more:
            self.__dict__["_counted"] = len(rows)  # the whole result is on this page: no count query
        return CappedPage(rows[: self.per_page], number, self, more=more)


class CappedCountPagination(PageNumberPagination):
    """The API's page-number pagination with the capped count: ``count`` is exact up to 1,000; past it ``count``
    is 1,000 and ``count_capped`` is true. ``next`` is given whenever another page exists."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_capped": self.page.paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "True when there are more rows than `count` (1,000) says.",
        }
        response["required"] = [*response.get("required", []), "count_capped"]
        return response
