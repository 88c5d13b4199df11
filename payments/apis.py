"""REST API: payment statements, read-only, with their lines (aggregates; no per-child detail)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from sibcase.api import HasRole
from sibcase.permissions import PAYMENT_WORKERS

from .models import PaymentStatement, PaymentStatementLine
from .selectors import statements_for_user


class StatementLineSerializer(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric.code", read_only=True, allow_null=True)

    class Meta:
        model = PaymentStatementLine
        fields = [
            "kind",
            "metric",
            "unit_cost_valid_from",
            "adjusts",
            "observation_count",
            "quantity",
            "unit_cost",
            "amount",
            "description",
        ]


class StatementSerializer(serializers.ModelSerializer):
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta:
        model = PaymentStatement
        fields = [
            "id",
            "programme",
            "kind",
            "period_start",
            "period_end",
            "status",
            "child_count",
            "child_years",
            "counterfactual_cost",
            "actual_cost",
            "savings",
            "savings_share",
            "adjustments",
            "carried_forward_in",
            "carried_forward_out",
            "uncapped_payment",
            "period_cap_applied",
            "total_cap_applied",
            "payable",
            "calculated_at",
            "approved_at",
            "paid_on",
            "lines",
        ]


class StatementViewSet(viewsets.ReadOnlyModelViewSet):
    """Payment statements of the programmes the caller works on. Fund managers use the fund reports."""

    permission_classes = [HasRole]
    roles = PAYMENT_WORKERS
    queryset = PaymentStatement.objects.none()  # for the schema; get_queryset scopes
    serializer_class = StatementSerializer
    filterset_fields = ["programme", "kind", "status"]

    def get_queryset(self):
        return statements_for_user(user=self.request.user).prefetch_related("lines__metric")
