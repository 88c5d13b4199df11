from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sibcase.errors import DomainError
from sibcase.forms import add_domain_error

from . import services
from .models import Child, Consent, Enrollment, Family, Guardian, Referral


class MaskedIdentityCodeMixin:
    """Identity codes are never listed in full; the change page of a person shows the code."""

    @admin.display(description=_("henkilötunnus"))
    def masked_code(self, obj):
        return obj.masked_identity_code


@admin.register(Family)
class FamilyAdmin(admin.ModelAdmin):
    list_display = ["reference", "municipality", "postal_code", "district", "created_at"]
    list_filter = ["municipality", "district"]
    search_fields = ["reference", "postal_code", "district"]
    readonly_fields = ["reference", "created_at", "created_by"]


@admin.register(Child)
class ChildAdmin(MaskedIdentityCodeMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_names", "masked_code", "birth_date", "family"]
    list_filter = ["family__municipality", "need_categories"]
    search_fields = ["last_name", "first_names", "=identity_code", "family__reference"]
    readonly_fields = ["birth_date"]
    raw_id_fields = ["family"]
    list_select_related = ["family"]


@admin.register(Guardian)
class GuardianAdmin(MaskedIdentityCodeMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_names", "masked_code", "employment_status", "family"]
    list_filter = ["family__municipality", "employment_status"]
    search_fields = ["last_name", "first_names", "=identity_code", "family__reference"]
    readonly_fields = ["birth_date"]
    raw_id_fields = ["family"]
    list_select_related = ["family"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["family", "programme", "source", "referred_on", "status"]
    list_filter = ["programme", "source", "status"]
    search_fields = ["family__reference", "reason"]
    date_hierarchy = "referred_on"
    raw_id_fields = ["family"]
    list_select_related = ["family", "programme"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["family", "programme", "scope", "given_on", "withdrawn_on"]
    list_filter = ["programme", "scope"]
    search_fields = ["family__reference"]
    raw_id_fields = ["family", "guardian"]
    list_select_related = ["family", "programme"]


class EnrollmentAdminForm(forms.ModelForm):
    """Adding an enrollment in the admin goes through `enrollment_create`, like every other door."""

    class Meta:
        model = Enrollment
        fields = ["programme", "family", "children", "enrolled_on", "backdating_reason"]

    def _post_clean(self):
        # The model instance is built and checked by the service, not by ModelForm.
        pass

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        approver = self.request_user if data.get("backdating_reason") else None
        try:
            self.instance = services.enrollment_create(
                actor=self.request_user,
                programme=data["programme"],
                family=data["family"],
                enrolled_on=data["enrolled_on"],
                children=data["children"],
                backdating_approved_by=approver,
                backdating_reason=data.get("backdating_reason", ""),
            )
        except DomainError as exc:
            add_domain_error(self, exc)
        return data


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Enrollments are added only through `enrollment_create` and never edited here (exits have their own page)."""

    form = EnrollmentAdminForm
    list_display = ["family", "programme", "enrolled_on", "status", "exit_date", "exit_reason"]
    list_filter = ["programme", "status", "exit_reason"]
    search_fields = ["family__reference"]
    date_hierarchy = "enrolled_on"
    list_select_related = ["family", "programme"]
    raw_id_fields = ["family"]
    filter_horizontal = ["children"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        """Already saved by the service in the form's clean()."""

    def save_related(self, request, form, formsets, change):
        """The service set the children."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
