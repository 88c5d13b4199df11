"""Base viewsets of the REST API. Apart from sibcase.api because DRF imports that module (pagination, exception
handler) while its own viewsets are still loading."""

from rest_framework import mixins, viewsets

from .api import AccessLoggedReads, HasRole


class PersonalRecordViewSet(
    AccessLoggedReads,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read and create records about people: role-checked by `roles` / `write_roles`, reads access-logged."""

    permission_classes = [HasRole]
