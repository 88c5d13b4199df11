from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .audit import access_log_record, access_log_record_many
from .models import AccessAction, AccessLogEntry, ApiToken, AuditEvent, User

ADMIN_BASIS = "ylläpito: rekisterin tietojen tarkastus"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "municipality", "provider", "is_active"]
    list_filter = ["role", "municipality", "provider", "is_active"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Rooli ja vastuualue"), {"fields": ["role", "municipality", "provider", "programmes"]}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Rooli ja vastuualue"), {"fields": ["role", "municipality", "provider"]}),
    )
    filter_horizontal = ["programmes", "groups", "user_permissions"]


class ReadOnlyAdminMixin:
    """Visible and searchable, never added, changed or deleted through the admin.

    Used for the append-only logs and for all personal and payment data: those are written only by the services,
    which check the rules and leave an audit row; an admin form would do neither.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class PersonalDataAdmin(ReadOnlyAdmin):
    """Read-only admin for records about people: every list and record page shown is written to the access log."""

    def access_family_id(self, obj) -> int | None:
        """The family the record belongs to (override when it is reached through another relation)."""
        return getattr(obj, "family_id", None)

    def access_person(self, obj):
        """The Child or Guardian the record is about, when it is one."""
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, unquote(object_id)) if response.status_code == 200 else None
        if obj is not None:
            access_log_record(
                user=request.user,
                action=AccessAction.VIEW,
                basis=ADMIN_BASIS,
                family_id=self.access_family_id(obj),
                person=self.access_person(obj),
                path=request.path,
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if changelist is not None:
            family_ids = [self.access_family_id(obj) for obj in changelist.result_list]
            access_log_record_many(
                user=request.user,
                action=AccessAction.LIST,
                basis=ADMIN_BASIS,
                family_ids=[family_id for family_id in family_ids if family_id is not None],
                path=request.path,
            )
        return response


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "actor", "event_type", "object_type", "object_id"]
    list_filter = ["event_type", "object_type"]
    search_fields = ["event_type", "object_type", "object_id", "actor__username", "reason"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "user",
        "user_role",
        "action",
        "family",
        "person_type",
        "person_id",
        "basis",
        "recipient",
        "target",
    ]
    list_filter = ["action", "user_role", "person_type"]
    search_fields = ["user__username", "family__reference", "=person_id", "basis", "path", "recipient", "target"]
    date_hierarchy = "occurred_at"
    list_select_related = ["user", "family"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """API tokens, read-only: created and revoked with manage.py create_api_token / revoke_api_token (audited)."""

    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username", "name"]
    exclude = ["secret_hash"]
