"""REST API: programmes (no personal data; every role sees the programmes it works with)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from sibcase.api import HasRole
from sibcase.models import Role

from .models import Programme
from .selectors import programmes_for_user


class ProgrammeSerializer(serializers.ModelSerializer):
    municipality = serializers.CharField(source="municipality.code")
    services = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            "name_fi",
            "name_sv",
            "name_en",
            "municipality",
            "target_group",
            "start_date",
            "enrollment_opens",
            "enrollment_cutoff",
            "follow_up_end",
            "capacity",
            "services",
        ]


class ProgrammeViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasRole]
    roles = set(Role.values)
    queryset = Programme.objects.none()  # for the schema; get_queryset scopes
    serializer_class = ProgrammeSerializer
    filterset_fields = ["municipality"]

    def get_queryset(self):
        return programmes_for_user(self.request.user).prefetch_related("services").order_by("pk")
