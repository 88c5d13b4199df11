"""Families and the people in them: read-only in the admin (writes go through families.services and their audit
rows), and every page shown is access-logged. The person's change page is the admin's one view of a full code."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sibcase.admin import PersonalDataAdmin

from .models import Child, Consent, Enrollment, Family, FamilyTransfer, Guardian, Referral


class MaskedIdentityCodeMixin:
    """Identity codes are never listed in full; the change page of a person shows the code."""

    @admin.display(description=_("henkilötunnus"))
    def masked_code(self, obj):
        return obj.masked_identity_code

    def access_person(self, obj):
        return obj


@admin.register(Family)
class FamilyAdmin(PersonalDataAdmin):
    list_display = ["reference", "municipality", "postal_code", "district", "created_at"]
    list_filter = ["municipality", "district"]
    search_fields = ["reference", "postal_code", "district"]

    def access_family_id(self, obj):
        return obj.pk


@admin.register(Child)
class ChildAdmin(MaskedIdentityCodeMixin, PersonalDataAdmin):
    list_display = ["last_name", "first_names", "masked_code", "birth_date", "family"]
    list_filter = ["family__municipality", "need_categories"]
    # No search by identity code here: it would put the code in the URL (ASVS 14.2.1), unlogged and unthrottled;
    # the family list's code search (POST, logged, rate-limited) serves admins too.
    search_fields = ["last_name", "first_names", "family__reference"]
    raw_id_fields = ["family"]
    list_select_related = ["family"]


@admin.register(Guardian)
class GuardianAdmin(MaskedIdentityCodeMixin, PersonalDataAdmin):
    list_display = ["last_name", "first_names", "masked_code", "employment_status", "family"]
    list_filter = ["family__municipality", "employment_status"]
    # No search by identity code here: it would put the code in the URL (ASVS 14.2.1), unlogged and unthrottled;
    # the family list's code search (POST, logged, rate-limited) serves admins too.
    search_fields = ["last_name", "first_names", "family__reference"]
    raw_id_fields = ["family"]
    list_select_related = ["family"]


@admin.register(Referral)
class ReferralAdmin(PersonalDataAdmin):
    list_display = ["family", "programme", "source", "referred_on", "status"]
    list_filter = ["programme", "source", "status"]
    search_fields = ["family__reference", "reason"]
    date_hierarchy = "referred_on"
    raw_id_fields = ["family"]
    list_select_related = ["family", "programme"]


@admin.register(Consent)
class ConsentAdmin(PersonalDataAdmin):
    list_display = ["family", "programme", "scope", "given_on", "withdrawn_on"]
    list_filter = ["programme", "scope"]
    search_fields = ["family__reference"]
    raw_id_fields = ["family", "guardian"]
    list_select_related = ["family", "programme"]


@admin.register(Enrollment)
class EnrollmentAdmin(PersonalDataAdmin):
    """Enrollments are made on the enrollment page or the API (`enrollment_create`), exits on their own page."""

    list_display = ["family", "programme", "enrolled_on", "status", "exit_date", "exit_reason"]
    list_filter = ["programme", "status", "exit_reason"]
    search_fields = ["family__reference"]
    date_hierarchy = "enrolled_on"
    list_select_related = ["family", "programme"]
    raw_id_fields = ["family"]


@admin.register(FamilyTransfer)
class FamilyTransferAdmin(PersonalDataAdmin):
    """Transfers are requested and decided on their pages (`families.transfers`), never here."""

    list_display = ["family", "from_municipality", "to_municipality", "status", "requested_at", "decided_at"]
    list_filter = ["status", "from_municipality", "to_municipality"]
    search_fields = ["family__reference"]
    date_hierarchy = "requested_at"
    list_select_related = ["family", "from_municipality", "to_municipality"]
    raw_id_fields = ["family"]
