"""Base viewsets of the REST API. Apart from sibcase.api because DRF imports that module (pagination, exception
handler) while its own viewsets are still loading."""

from django.http import Http404
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from .api import AccessLoggedReads, HasRole, IdempotentPosts
from .audit import access_refused_record


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

    def get_object(self):
        """A record the user may not see answers 404 like a missing one, and the attempt is logged as refused."""
        try:
            return super().get_object()
        except Http404:
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
            access_refused_record(
                user=self.request.user,
                target=f"{self.get_queryset().model._meta.label_lower}:{lookup}",
                path=self.request.path,
            )
            raise

    def permission_denied(self, request, message=None, code=None):
        """A role without personal data asking for one person's record: a refused attempt, logged."""
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if request.user.is_authenticated and lookup is not None:
            access_refused_record(
                user=request.user, target=f"{self.queryset.model._meta.label_lower}:{lookup}", path=request.path
            )
        super().permission_denied(request, message=message, code=code)

    def validated_input(self, input_class: type[serializers.Serializer]) -> dict:
        """The request body checked by a write serializer (with the request in its context), or a 400."""
        data = input_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        return data.validated_data

    def created(self, record) -> Response:
        """201 with the new record in the viewset's read representation."""
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)
