from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AccessLogEntry, AuditEvent, User


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: visible and searchable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    ]
    list_filter = ["action", "user_role", "person_type"]
    search_fields = ["user__username", "family__reference", "=person_id", "basis", "path", "recipient"]
    date_hierarchy = "occurred_at"
    list_select_related = ["user", "family"]
