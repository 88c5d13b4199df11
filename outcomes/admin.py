"""Outcome records about people are read-only and access-logged here (writes through outcomes.services); metrics
stay editable as reference data, but their unit costs (payment figures) are read-only."""

from django.contrib import admin

from sibcase.admin import PersonalDataAdmin, ReadOnlyAdmin, ReadOnlyInline

from .models import (
    MetricUnitCost,
    OutcomeMetric,
    OutcomeObservation,
    ServiceEpisode,
    ServiceNeedsAssessment,
    ServiceVisit,
)


@admin.register(ServiceNeedsAssessment)
class ServiceNeedsAssessmentAdmin(PersonalDataAdmin):
    list_display = ["family", "started_on", "completed_on"]
    list_filter = ["family__municipality"]
    search_fields = ["family__reference"]
    raw_id_fields = ["family", "child"]
    list_select_related = ["family"]


@admin.register(ServiceEpisode)
class ServiceEpisodeAdmin(PersonalDataAdmin):
    list_display = ["family", "service", "provider", "start_date", "end_date", "status"]
    list_filter = ["service", "provider", "status"]
    search_fields = ["family__reference"]
    raw_id_fields = ["family", "child", "enrollment"]
    list_select_related = ["family", "service", "provider"]


@admin.register(ServiceVisit)
class ServiceVisitAdmin(PersonalDataAdmin):
    list_display = ["episode", "visited_on", "duration_minutes"]
    list_filter = ["episode__service"]
    search_fields = ["episode__family__reference"]
    raw_id_fields = ["episode"]
    list_select_related = ["episode"]

    def access_family_id(self, obj):
        return obj.episode.family_id


class MetricUnitCostInline(ReadOnlyInline):
    model = MetricUnitCost


@admin.register(OutcomeMetric)
class OutcomeMetricAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fi", "programme", "unit", "direction", "is_cost_bearing"]
    list_filter = ["programme", "unit", "is_cost_bearing"]
    search_fields = ["code", "name_fi", "name_sv", "name_en"]
    inlines = [MetricUnitCostInline]


@admin.register(MetricUnitCost)
class MetricUnitCostAdmin(ReadOnlyAdmin):
    list_display = ["metric", "valid_from", "unit_cost"]
    list_filter = ["metric__programme"]
    search_fields = ["metric__code"]


@admin.register(OutcomeObservation)
class OutcomeObservationAdmin(PersonalDataAdmin):
    list_display = ["metric", "child", "period_start", "period_end", "value", "source"]
    list_filter = ["metric__programme", "metric", "source"]
    search_fields = ["metric__code", "child__family__reference"]
    date_hierarchy = "period_start"
    raw_id_fields = ["child"]
    list_select_related = ["metric", "child"]

    def access_family_id(self, obj):
        return obj.child.family_id

    def access_person(self, obj):
        return obj.child
