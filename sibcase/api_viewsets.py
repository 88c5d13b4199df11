"""Base viewsets of the REST API. Apart from sibcase.api because DRF imports that module (pagination, exception
handler) while its own viewsets are still loading."""

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from .api import AccessLoggedReads, HasRole, IdempotentPosts


class PersonalRecordViewSet(
    IdempotentPosts,
    AccessLoggedReads,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read and create records about people: role-checked by `roles` / `write_roles`, reads access-logged,
    every POST (create and actions) idempotent under an `Idempotency-Key` header."""

    permission_classes = [HasRole]

    def validated_input(self, input_class: type[serializers.Serializer]) -> dict:
        """The request body checked by a write serializer (with the request in its context), or a 400."""
        data = input_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        return data.validated_data

    def created(self, record) -> Response:
        """201 with the new record in the viewset's read representation."""
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)
