"""REST API for families, referrals and enrollments. Thin: scoping from selectors, every write via services."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from programs.selectors import programmes_for_user
from sibcase.api_viewsets import PersonalRecordViewSet
from sibcase.errors import DomainError, Problem
from sibcase.models import Role
from sibcase.pagination import CappedCountPagination
from sibcase.permissions import CASEWORK_ROLES, visible_fields

from . import services
from .models import (
    Child,
    EmploymentStatus,
    Enrollment,
    EnrollmentStatus,
    ExitReason,
    Family,
    Guardian,
    Referral,
    ReferralSource,
)
from .registration import registration_refuse_known_elsewhere
from .selectors import families_visible_to, identity_code_lookup

FAMILY_READERS = CASEWORK_ROLES | {Role.PROVIDER_WORKER}


class VisibleFieldsMixin:
    """Only the fields the caller's role sees (sibcase.permissions.visible_fields, the rule the pages follow)."""

    visibility_kind = ""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        allowed = visible_fields(request.user, self.visibility_kind) if request is not None else frozenset()
        return {key: value for key, value in data.items() if key in allowed}


class ChildSerializer(VisibleFieldsMixin, serializers.ModelSerializer):
    visibility_kind = "child"

    class Meta:
        model = Child
        fields = ["id", "first_names", "last_name", "identity_code", "birth_date"]


class GuardianSerializer(VisibleFieldsMixin, serializers.ModelSerializer):
    visibility_kind = "guardian"

    class Meta:
        model = Guardian
        fields = ["id", "first_names", "last_name", "identity_code", "birth_date", "employment_status"]


class FamilySerializer(serializers.ModelSerializer):
    children = ChildSerializer(many=True, read_only=True)
    guardians = GuardianSerializer(many=True, read_only=True)
    municipality = serializers.CharField(source="municipality.code", read_only=True)

    class Meta:
        model = Family
        fields = ["id", "reference", "municipality", "postal_code", "district", "created_at", "children", "guardians"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None:
            return {}
        allowed = set(visible_fields(request.user, "family"))
        # The list of a kind of person is there only for roles that see something of that kind.
        allowed |= {
            key
            for key, kind in (("children", "child"), ("guardians", "guardian"))
            if visible_fields(request.user, kind)
        }
        return {key: value for key, value in data.items() if key in allowed}


class ChildInput(serializers.Serializer):
    first_names = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    identity_code = serializers.CharField(max_length=11)


class GuardianInput(ChildInput):
    employment_status = serializers.ChoiceField(choices=EmploymentStatus.choices, default=EmploymentStatus.UNKNOWN)


@extend_schema_field(OpenApiTypes.INT)
class VisibleFamilyField(serializers.PrimaryKeyRelatedField):
    """A family id the caller may see; any other id is 'does not exist', never 'not yours'."""

    def get_queryset(self):
        return families_visible_to(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleProgrammeField(serializers.PrimaryKeyRelatedField):
    """A programme the caller works with; any other id is "unknown programme"."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "required": _("Anna ohjelman tunniste."),
        "incorrect_type": _("Anna ohjelman tunniste."),
        "does_not_exist": _("Tuntematon ohjelma."),
    }

    def get_queryset(self):
        return programmes_for_user(self.context["request"].user)


class FamilyRegisterInput(serializers.Serializer):
    programme = VisibleProgrammeField()
    postal_code = serializers.RegexField(r"^\d{5}$", max_length=5)
    district = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    children = ChildInput(many=True, allow_empty=False, max_length=20)
    guardians = GuardianInput(many=True, max_length=10)
    source = serializers.ChoiceField(choices=ReferralSource.choices)
    referred_on = serializers.DateField()
    reason = serializers.CharField(max_length=5000)


class FamilyFilter(django_filters.FilterSet):
    programme = django_filters.NumberFilter(field_name="enrollments__programme", distinct=True)
    status = django_filters.ChoiceFilter(
        field_name="enrollments__status", choices=EnrollmentStatus.choices, distinct=True
    )
    district = django_filters.CharFilter(field_name="district", lookup_expr="iexact")
    reference = django_filters.CharFilter(field_name="reference", lookup_expr="iexact")

    class Meta:
        model = Family
        fields = ["programme", "status", "district", "reference", "postal_code"]


class FamilyViewSet(PersonalRecordViewSet):
    """Families with their children and guardians. Creating one registers the family and its referral."""

    roles = FAMILY_READERS
    write_roles = CASEWORK_ROLES
    pagination_class = CappedCountPagination  # no full count of the municipality's rows (issue 14)
    queryset = Family.objects.none()  # for the schema; get_queryset scopes
    serializer_class = FamilySerializer
    filterset_class = FamilyFilter

    def get_queryset(self):
        return (
            families_visible_to(self.request.user)
            .select_related("municipality")
            .prefetch_related("children", "guardians")
            .order_by("-id")  # newest first, on the primary key index
        )

    access_family_field = "id"
    access_basis = "rajapinta: perheet"

    @extend_schema(request=FamilyRegisterInput, responses={201: FamilySerializer})
    def create(self, request, *args, **kwargs):
        values = self.validated_input(FamilyRegisterInput)
        codes = [person["identity_code"] for person in [*values["children"], *values["guardians"]]]
        try:
            lookup = identity_code_lookup(request=request, identity_codes=codes)
        except DomainError as exc:
            raise exceptions.Throttled(detail=str(exc.problems[0].message)) from None
        if lookup.visible is not None:
            raise DomainError(
                Problem(
                    "identity_code_known",
                    _("Henkilötunnus on jo rekisterissä. Perhettä ei luotu uudelleen."),
                    {"family_id": lookup.visible.family.pk},
                ),
                field_name="identity_code",
            )
        registration = {
            "programme": values["programme"],
            "postal_code": values["postal_code"],
            "district": values["district"],
            "children": [dict(child) for child in values["children"]],
            "guardians": [dict(guardian) for guardian in values["guardians"]],
            "source": values["source"],
            "referred_on": values["referred_on"],
            "reason": values["reason"],
        }
        if lookup.known_elsewhere:
            registration_refuse_known_elsewhere(actor=request.user, **registration)
        family = services.family_register(actor=request.user, **registration)
        family = self.get_queryset().get(pk=family.pk)
        return self.created(family)


class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = ["id", "family", "programme", "source", "referred_on", "reason", "status", "created_at"]
        read_only_fields = ["status", "created_at"]


class ReferralViewSet(PersonalRecordViewSet):
    roles = write_roles = CASEWORK_ROLES
    pagination_class = CappedCountPagination  # no full count of the municipality's rows (issue 14)
    queryset = Referral.objects.none()
    serializer_class = ReferralSerializer
    filterset_fields = ["family", "programme", "status", "source"]

    def get_queryset(self):
        return Referral.objects.filter(family__in=families_visible_to(self.request.user)).order_by(
            "-referred_on", "-id"
        )

    access_family_field = "family"
    access_basis = "rajapinta: ohjaukset"

    def create(self, request, *args, **kwargs):
        data = self.validated_input(ReferralInput)
        referral = services.referral_create(actor=request.user, **data)
        return self.created(referral)


class ReferralInput(serializers.Serializer):
    family = VisibleFamilyField()
    programme = VisibleProgrammeField()
    source = serializers.ChoiceField(choices=ReferralSource.choices)
    referred_on = serializers.DateField()
    reason = serializers.CharField(max_length=5000)


class EnrollmentSerializer(serializers.ModelSerializer):
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "programme",
            "family",
            "children",
            "referral",
            "enrolled_on",
            "activated_on",
            "status",
            "exit_date",
            "exit_reason",
            "recorded_at",
        ]


class EnrollmentInput(serializers.Serializer):
    family = VisibleFamilyField()
    programme = VisibleProgrammeField()
    enrolled_on = serializers.DateField()
    children = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=20)
    referral = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, attrs):
        family = attrs["family"]
        child_ids = attrs.get("children")
        if child_ids is not None:
            children = list(family.children.filter(pk__in=child_ids))
            if len(children) != len(set(child_ids)):
                raise serializers.ValidationError({"children": [_("Lapsi ei kuulu tähän perheeseen.")]})
            attrs["children"] = children
        if attrs.get("referral") is not None:
            referral = family.referrals.filter(pk=attrs["referral"]).first()
            if referral is None:
                raise serializers.ValidationError({"referral": [_("Ohjaus ei kuulu tähän perheeseen.")]})
            attrs["referral"] = referral
        return attrs


class ExitInput(serializers.Serializer):
    exit_date = serializers.DateField()
    reason = serializers.ChoiceField(choices=ExitReason.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ActivateInput(serializers.Serializer):
    activated_on = serializers.DateField()


class EnrollmentViewSet(PersonalRecordViewSet):
    """Enrollments. Creating one goes through the same enrollment service as the web form (cutoffs, rules)."""

    roles = write_roles = CASEWORK_ROLES
    pagination_class = CappedCountPagination  # no full count of the municipality's rows (issue 14)
    queryset = Enrollment.objects.none()
    serializer_class = EnrollmentSerializer
    filterset_fields = ["family", "programme", "status"]

    def get_queryset(self):
        return (
            Enrollment.objects.filter(family__in=families_visible_to(self.request.user))
            .prefetch_related("children")
            .order_by("-enrolled_on", "-id")
        )

    access_family_field = "family"
    access_basis = "rajapinta: ohjelmajaksot"

    @extend_schema(request=EnrollmentInput, responses={201: EnrollmentSerializer})
    def create(self, request, *args, **kwargs):
        data = self.validated_input(EnrollmentInput)
        enrollment = services.enrollment_create(actor=request.user, **data)
        return self.created(enrollment)

    @extend_schema(request=ActivateInput, responses={200: EnrollmentSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """A queued family begins in the programme: capacity, cutoff and consent are checked on that day."""
        enrollment = self.get_object()
        data = self.validated_input(ActivateInput)
        enrollment = services.enrollment_activate(actor=request.user, enrollment=enrollment, **data)
        return Response(self.get_serializer(enrollment).data)

    @extend_schema(request=ExitInput, responses={200: EnrollmentSerializer})
    @action(detail=True, methods=["post"])
    def exit(self, request, pk=None):
        enrollment = self.get_object()
        data = self.validated_input(ExitInput)
        enrollment = services.enrollment_exit(actor=request.user, enrollment=enrollment, **data)
        return Response(self.get_serializer(enrollment).data)
