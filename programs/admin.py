from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sibcase.admin import ReadOnlyAdmin

from .models import (
    EligibilityRule,
    EnrollmentRefusal,
    Fund,
    Municipality,
    NeedCategory,
    Programme,
    ProgrammeWindowChange,
    Service,
    ServiceProvider,
    TargetArea,
    TargetAreaPostalCode,
)
from .services import eligibility_rule_save


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fi", "name_sv"]
    search_fields = ["code", "name_fi", "name_sv"]


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "business_id"]
    search_fields = ["name", "code", "business_id"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fi", "kind", "provider", "municipality"]
    list_filter = ["kind", "provider", "municipality"]
    search_fields = ["code", "name_fi", "name_sv", "name_en"]


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "committed_capital"]
    search_fields = ["name", "manager"]


@admin.register(NeedCategory)
class NeedCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fi", "name_sv", "name_en"]
    search_fields = ["code", "name_fi"]


class TargetAreaInline(admin.TabularInline):
    model = TargetArea
    extra = 0
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    """The enrollment window is changed on the coordinator's page (recorded with a reason), not here."""

    window_fields = [
        "enrollment_opens",
        "enrollment_cutoff",
        "cutoff_decision_body",
        "cutoff_decision_date",
        "cutoff_decision_text",
    ]

    def get_readonly_fields(self, request, obj=None):
        # A new programme sets its first window here; afterwards only programme_window_update changes it.
        return self.window_fields if obj is not None else []

    list_display = [
        "code",
        "name_fi",
        "municipality",
        "enrollment_opens",
        "enrollment_cutoff",
        "follow_up_end",
        "capacity",
    ]
    list_filter = ["municipality", "fund"]
    search_fields = ["code", "name_fi", "name_sv", "name_en"]
    filter_horizontal = ["services"]
    inlines = [TargetAreaInline]


class TargetAreaPostalCodeInline(admin.TabularInline):
    model = TargetAreaPostalCode
    extra = 1


@admin.register(TargetArea)
class TargetAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "programme"]
    list_filter = ["programme"]
    search_fields = ["name", "postal_codes__postal_code"]
    inlines = [TargetAreaPostalCodeInline]


class EligibilityRuleAdminForm(forms.ModelForm):
    # Every rule change states why; the reason is kept in the audit trail and shown in the programme's rule history.
    reason = forms.CharField(label=_("Muutoksen perustelu"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = EligibilityRule
        fields = [
            "programme",
            "kind",
            "min_age",
            "max_age",
            "guardian_statuses",
            "referral_sources",
            "need_categories",
            "is_active",
            "position",
        ]


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(admin.ModelAdmin):
    list_display = ["programme", "kind", "min_age", "max_age", "is_active", "position"]
    list_filter = ["programme", "kind", "is_active"]
    search_fields = ["programme__code", "programme__name_fi"]
    filter_horizontal = ["need_categories"]
    readonly_fields = ["version"]
    form = EligibilityRuleAdminForm

    def save_model(self, request, obj, form, change):
        # Through the service, so an admin edit is audited and moves the version on (a coordinator's form loaded
        # before it is then refused as stale instead of silently undoing it). The categories follow in save_related.
        eligibility_rule_save(actor=request.user, rule=obj, reason=form.cleaned_data["reason"])


@admin.register(ProgrammeWindowChange)
class ProgrammeWindowChangeAdmin(ReadOnlyAdmin):
    list_display = ["programme", "changed_at", "changed_by", "old_cutoff", "new_cutoff", "decision_body"]
    list_filter = ["programme"]
    search_fields = ["programme__code", "reason", "decision_body"]


@admin.register(EnrollmentRefusal)
class EnrollmentRefusalAdmin(ReadOnlyAdmin):
    list_display = ["programme", "attempted_at", "attempted_by", "enrolled_on", "codes"]
    list_filter = ["programme"]
    search_fields = ["programme__code", "=family_id"]
