from django.contrib import admin

from .models import ComparisonGroupCost, PaymentStatement, PaymentStatementLine, PaymentTerms


@admin.register(PaymentTerms)
class PaymentTermsAdmin(admin.ModelAdmin):
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
class ComparisonGroupCostAdmin(admin.ModelAdmin):
    """Read-only: figures are recorded on the payments page through comparison_cost_record (its rules, its audit)."""

    list_display = ["programme", "period_start", "period_end", "cost_per_child_year", "entered_by", "entered_at"]
    list_filter = ["programme"]
    search_fields = ["programme__code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentStatementLineInline(admin.TabularInline):
    model = PaymentStatementLine
    fk_name = "statement"
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PaymentStatement)
class PaymentStatementAdmin(admin.ModelAdmin):
    """Statements are computed and moved through their statuses by the payment services, never edited here."""

    list_display = ["programme", "kind", "period_start", "period_end", "status", "savings", "payable"]
    list_filter = ["programme", "kind", "status"]
    search_fields = ["programme__code", "payment_reference"]
    date_hierarchy = "period_start"
    inlines = [PaymentStatementLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
