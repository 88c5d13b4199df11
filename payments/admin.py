"""Payment data is read-only in the admin: terms, figures, statements and runs are written by the payment
services (their rules, their audit rows) and the pages built on them."""

from django.contrib import admin

from sibcase.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import ComparisonGroupCost, PaymentRun, PaymentStatement, PaymentStatementLine, PaymentTerms


@admin.register(PaymentTerms)
class PaymentTermsAdmin(ReadOnlyAdmin):
    list_display = [
        "programme",
        "effective_from",
        "effective_to",
        "counterfactual_basis",
        "baseline_cost_per_child_year",
        "savings_share",
        "period_cap",
        "total_cap",
    ]
    list_filter = ["programme", "counterfactual_basis"]
    search_fields = ["programme__name_fi", "programme__code"]


@admin.register(ComparisonGroupCost)
class ComparisonGroupCostAdmin(ReadOnlyAdmin):
    """Figures are recorded on the payments page through comparison_cost_record (its rules, its audit)."""

    list_display = ["programme", "period_start", "period_end", "cost_per_child_year", "entered_by", "entered_at"]
    list_filter = ["programme"]
    search_fields = ["programme__code"]


class PaymentStatementLineInline(ReadOnlyInline):
    model = PaymentStatementLine
    fk_name = "statement"


@admin.register(PaymentStatement)
class PaymentStatementAdmin(ReadOnlyAdmin):
    """Statements are computed and moved through their statuses by the payment services, never edited here."""

    list_display = ["programme", "kind", "period_start", "period_end", "status", "savings", "payable"]
    list_filter = ["programme", "kind", "status"]
    search_fields = ["programme__code", "payment_reference"]
    date_hierarchy = "period_start"
    inlines = [PaymentStatementLineInline]


@admin.register(PaymentRun)
class PaymentRunAdmin(ReadOnlyAdmin):
    list_display = ["programme", "kind", "period_start", "period_end", "status", "requested_at", "finished_at"]
    list_filter = ["programme", "kind", "status"]
    search_fields = ["programme__code"]
    list_select_related = ["programme"]
