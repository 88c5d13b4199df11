"""REST API for service episodes and outcome observations, including the bulk import of register extracts."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from families.apis import VisibleFamilyField, VisibleProgrammeField
from families.models import Child, Enrollment
from families.selectors import families_visible_to
from programs.selectors import programmes_for_user
from sibcase.api_viewsets import PersonalRecordViewSet
from sibcase.models import Role
from sibcase.pagination import CappedCountPagination
from sibcase.permissions import CASEWORK_ROLES

from . import services
from .models import ObservationImport, ObservationSource, OutcomeMetric, OutcomeObservation, ServiceEpisode
from .selectors import observation_import_get_for_user, services_for_user

SERVICE_ROLES = CASEWORK_ROLES | {Role.PROVIDER_WORKER}


def background_rows() -> int:
    """Imports with more rows than this run as a background job (202 and a status URL) instead of in the request:
    a 100 000-row import takes longer than the web timeout. Setting OBSERVATION_IMPORT_BACKGROUND_ROWS."""
    return getattr(settings, "OBSERVATION_IMPORT_BACKGROUND_ROWS", 5000)


IMPORT_ROLES = {Role.COORDINATOR, Role.ADMIN}


class EpisodeSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="service.code", read_only=True)

    class Meta:
        model = ServiceEpisode
        fields = ["id", "family", "enrollment", "child", "service", "provider", "start_date", "end_date", "status"]


class EpisodeInput(serializers.Serializer):
    family = VisibleFamilyField()
    enrollment = serializers.IntegerField()
    service = serializers.IntegerField()
    child = serializers.IntegerField(required=False, allow_null=True, default=None)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        family, user = attrs["family"], self.context["request"].user
        attrs["enrollment"] = Enrollment.objects.filter(family=family, pk=attrs["enrollment"]).first()
        if attrs["enrollment"] is None:
            raise serializers.ValidationError({"enrollment": [_("Ohjelmajakso ei kuulu tähän perheeseen.")]})
        attrs["service"] = services_for_user(user=user, family=family).filter(pk=attrs["service"]).first()
        if attrs["service"] is None:
            raise serializers.ValidationError({"service": [_("Palvelu ei ole valittavissa tälle perheelle.")]})
        if attrs.get("child") is not None:
            attrs["child"] = family.children.filter(pk=attrs["child"]).first()
            if attrs["child"] is None:
                raise serializers.ValidationError({"child": [_("Lapsi ei kuulu tähän perheeseen.")]})
        return attrs


class EpisodeViewSet(PersonalRecordViewSet):
    """Service episodes. Provider workers see and log only their own provider's."""

    roles = write_roles = SERVICE_ROLES
    pagination_class = CappedCountPagination  # no full count of every visible row (issue 14)
    queryset = ServiceEpisode.objects.none()  # for the schema; get_queryset scopes
    serializer_class = EpisodeSerializer
    filterset_fields = ["family", "provider", "status", "enrollment"]

    def get_queryset(self):
        user = self.request.user
        episodes = ServiceEpisode.objects.filter(family__in=families_visible_to(user)).select_related("service")
        if user.role == Role.PROVIDER_WORKER:
            episodes = episodes.filter(provider_id=user.provider_id)
        return episodes.order_by("-start_date", "-id")

    access_family_field = "family"
    access_basis = "rajapinta: palvelujaksot"

    @extend_schema(request=EpisodeInput, responses={201: EpisodeSerializer})
    def create(self, request, *args, **kwargs):
        data = self.validated_input(EpisodeInput)
        values = {key: value for key, value in data.items() if key != "family"}
        episode = services.episode_create(actor=request.user, **values)
        return self.created(episode)


class ObservationSerializer(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric.code", read_only=True)
    family = serializers.IntegerField(source="child.family_id", read_only=True)

    class Meta:
        model = OutcomeObservation
        fields = [
            "id",
            "metric",
            "child",
            "family",
            "period_start",
            "period_end",
            "value",
            "source",
            "external_id",
            "recorded_at",
        ]


class ObservationInput(serializers.Serializer):
    metric = serializers.IntegerField()
    child = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField(required=False, allow_null=True, default=None)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    source = serializers.ChoiceField(choices=ObservationSource.choices, default=ObservationSource.SOCIAL_WORKER)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")

    def validate(self, attrs):
        user = self.context["request"].user
        attrs["child"] = Child.objects.filter(pk=attrs["child"], family__in=families_visible_to(user)).first()
        if attrs["child"] is None:
            raise serializers.ValidationError({"child": [_("Tuntematon lapsi.")]})
        attrs["metric"] = OutcomeMetric.objects.filter(
            pk=attrs["metric"], programme__in=programmes_for_user(user)
        ).first()
        if attrs["metric"] is None:
            raise serializers.ValidationError({"metric": [_("Tuntematon mittari.")]})
        return attrs


class ObservationImportJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This job's status in the API")
    page = serializers.SerializerMethodField(help_text="This job's status page")

    class Meta:
        model = ObservationImport
        fields = [
            "id",
            "url",
            "page",
            "programme",
            "status",
            "row_count",
            "imported",
            "errors",
            "failure",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_url(self, job) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:observation-import-status", kwargs={"import_id": job.pk})
        )

    def get_page(self, job) -> str:
        return self.context["request"].build_absolute_uri(reverse("outcomes:import_status", args=[job.pk]))


class ObservationViewSet(PersonalRecordViewSet):
    roles = write_roles = CASEWORK_ROLES
    pagination_class = CappedCountPagination  # no full count of every visible row (issue 14)
    queryset = OutcomeObservation.objects.none()
    serializer_class = ObservationSerializer
    filterset_fields = {"metric": ["exact"], "child": ["exact"], "period_start": ["gte", "lte"], "source": ["exact"]}

    def get_queryset(self):
        return (
            OutcomeObservation.objects.filter(child__family__in=families_visible_to(self.request.user))
            .select_related("metric", "child")
            .order_by("-period_start", "-id")
        )

    def get_permissions(self):
        if self.action in ("import_rows", "import_status"):
            self.roles = self.write_roles = IMPORT_ROLES
        return super().get_permissions()

    access_family_field = "family"
    access_basis = "rajapinta: havainnot"

    @extend_schema(request=ObservationInput, responses={201: ObservationSerializer})
    def create(self, request, *args, **kwargs):
        data = self.validated_input(ObservationInput)
        observation = services.observation_create(actor=request.user, **data)
        return self.created(observation)

    @extend_schema(
        parameters=[OpenApiParameter("programme", int, required=True, description="The programme of the metrics")],
        request={
            "multipart/form-data": inline_serializer("ObservationImportFile", {"file": serializers.FileField()}),
            "application/json": inline_serializer(
                "ObservationImportRows",
                {"rows": serializers.ListField(child=serializers.DictField(child=serializers.CharField()))},
            ),
        },
        responses={
            201: inline_serializer("ObservationImportDone", {"imported": serializers.IntegerField()}),
            202: ObservationImportJobSerializer,
        },
        description=(
            "Bulk import of outcome observations, as a register extract comes: a CSV file (columns identity_code, "
            "metric, period_start, period_end, value, source, external_id; separated by ; , or tab; UTF-8 or "
            'Windows-1252; dates YYYY-MM-DD or d.m.yyyy; decimal point or comma) or JSON {"rows": [...]}. Every '
            "row is checked; a file with any bad row imports nothing and the answer names each bad row (row 0: "
            "the file or its header). A row repeating a stored observation is refused as a duplicate. More rows than "
            "OBSERVATION_IMPORT_BACKGROUND_ROWS (5 000): 202 with a background job to follow at its url."
        ),
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, JSONParser])
    def import_rows(self, request):
        programme = _import_programme(request)
        try:
            rows = _import_rows(request)
        except _FileRefused as refusal:
            return _refused([refusal.report])
        if len(rows) > background_rows():
            job = services.observation_import_queue(actor=request.user, programme=programme, rows=rows)
            data = ObservationImportJobSerializer(job, context={"request": request}).data
            return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
        children = Child.objects.filter(family__in=families_visible_to(request.user))
        report = services.observations_import(actor=request.user, programme=programme, rows=rows, children=children)
        if report.imported == 0:
            return _refused(report.error_rows)
        return Response({"imported": report.imported}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ObservationImportJobSerializer})
    @action(detail=False, methods=["get"], url_path=r"import/(?P<import_id>[0-9]+)")
    def import_status(self, request, import_id=None):
        """A background import's status and, once finished, its report (the requester and admins only)."""
        job = observation_import_get_for_user(user=request.user, pk=int(import_id))
        return Response(ObservationImportJobSerializer(job, context={"request": request}).data)


def _refused(reports: list[services.ImportRowReport]) -> Response:
    """400 naming each bad row (row 0 is the file itself or its header line); nothing was imported."""
    return Response(
        {
            "code": "import_refused",
            "message": str(_("Tiedostossa on virheellisiä rivejä; mitään ei tuotu.")),
            "imported": 0,
            "errors": [{"row": report.row, "errors": report.errors} for report in reports],
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


class ImportTarget(serializers.Serializer):
    programme = VisibleProgrammeField()


def _import_programme(request):
    target = ImportTarget(data=request.query_params, context={"request": request})
    target.is_valid(raise_exception=True)
    return target.validated_data["programme"]


class _FileRefused(Exception):  # noqa: N818 - a refusal, answered as a 400 by the import action
    def __init__(self, *, row: int, field: str, code: str, message) -> None:
        self.report = services.ImportRowReport(row=row)
        self.report.add(field, code, message)
        super().__init__(code)


def _import_rows(request) -> list:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > settings.OBSERVATION_IMPORT_MAX_BYTES:
            raise serializers.ValidationError({"file": [_("Tiedosto on liian suuri.")]})
        rows = _csv_rows(upload.read())
    else:
        rows = request.data.get("rows") if isinstance(request.data, dict) else None
        if not isinstance(rows, list):
            raise serializers.ValidationError({"rows": [_("Lähetä CSV-tiedosto kentässä file tai JSON-lista rows.")]})
    if not rows:
        raise serializers.ValidationError({"rows": [_("Tiedostossa ei ole rivejä.")]})
    if len(rows) > settings.OBSERVATION_IMPORT_MAX_ROWS:
        raise serializers.ValidationError(
            {"rows": [_("Enintään %(n)s riviä kerralla.") % {"n": settings.OBSERVATION_IMPORT_MAX_ROWS}]}
        )
    return rows


DELIMITERS = (";", ",", "\t")


def _csv_rows(raw: bytes) -> list[dict]:
    """The rows of a CSV extract as dicts keyed by the header's column names.

    Spreadsheets as they come: UTF-8 (with or without a BOM) or Windows-1252, separated by semicolons (as a
    Finnish Excel saves CSV), commas or tabs, detected from the column names on the header line. Fields beyond
    the header go under services.EXTRA_FIELDS (the service reports them per row); empty lines are skipped.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise _FileRefused(
                row=0,
                field="file",
                code="invalid_encoding",
                message=_("Tiedoston merkistön on oltava UTF-8 tai Windows-1252."),
            ) from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[dict] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in record]
                continue
            # A column without a name (a spreadsheet's trailing separator) is ignored while it is empty.
            row: dict = {name: cell for name, cell in zip(header, record, strict=False) if name or cell.strip()}
            if len(record) > len(header):
                row[services.EXTRA_FIELDS] = record[len(header) :]
            rows.append(row)
    except csv.Error:
        raise _FileRefused(
            row=len(rows) + 1,
            field="file",
            code="invalid_csv",
            message=_(
                "Tiedoston rivi %(line)s ei ole kelvollista CSV:tä (esimerkiksi lainausmerkki väärässä kohdassa)."
            )
            % {"line": reader.line_num},
        ) from None
    return rows


def _delimiter(header_line: str) -> str:
    """The separator that splits the header line into the most known column names, or a refusal."""
    known = set(services.IMPORT_FIELDS)
    scores = {
        delimiter: sum(name.strip().strip('"').lower() in known for name in header_line.split(delimiter))
        for delimiter in DELIMITERS
        if delimiter in header_line
    }
    if not scores or max(scores.values()) == 0:
        raise _FileRefused(
            row=0,
            field="header",
            code="unknown_columns",
            message=_(
                "Otsikkorivin sarakkeita ei tunnistettu. Ensimmäisellä rivillä on oltava sarakkeiden nimet "
                "(%(names)s) puolipisteillä, pilkuilla tai sarkaimilla erotettuina."
            )
            % {"names": ", ".join(services.IMPORT_FIELDS)},
        )
    return max(scores, key=lambda delimiter: scores[delimiter])
