"""What each role may do, in one place. Object scoping (whose data) lives in the apps' selectors."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .models import Role, User

# Roles that may see people at all (names, identity codes or pseudonymous rows).
PERSONAL_DATA_ROLES = {Role.SOCIAL_WORKER, Role.PROVIDER_WORKER, Role.COORDINATOR, Role.ADMIN}
CASEWORK_ROLES = {Role.SOCIAL_WORKER, Role.COORDINATOR, Role.ADMIN}
PROGRAMME_RULE_EDITORS = {Role.COORDINATOR, Role.ADMIN}
# Statements and runs (aggregates); fund managers read them through the suppressed fund reports instead.
PAYMENT_WORKERS = {Role.COORDINATOR, Role.EVALUATOR, Role.ADMIN}
# A statement's per-child (pseudonymous) detail.
PAYMENT_CHILD_DETAIL_READERS = {Role.EVALUATOR, Role.ADMIN}
# The comparison-group cost per child-year is the evaluator's figure.
COMPARISON_COST_EDITORS = {Role.EVALUATOR, Role.ADMIN}
# Coordinators draft payment terms and put them in force (another person than the drafter); admins too.
PAYMENT_TERMS_EDITORS = {Role.COORDINATOR, Role.ADMIN}
FUND_REPORT_READERS = {Role.FUND_MANAGER, Role.EVALUATOR, Role.COORDINATOR, Role.ADMIN}


def has_role(user: User, roles: set[str]) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.role in roles


def require_role(user: User, roles: set[str]) -> None:
    if not has_role(user, roles):
        raise PermissionDenied


def can_see_identity_codes(user: User) -> bool:
    return "identity_code" in visible_fields(user, "child")


# Which fields of a family and of the people in it each role sees (GDPR Art. 5/25 minimisation, ASVS 8.2.3).
# The one rule for pages, API serializers and exports: each reads `visible_fields`. "identity_code" means the full
# code on a person's own page and in the API, the birth-date part in lists; a role without it sees no code at all.
FAMILY_FIELDS = frozenset({"id", "reference", "municipality", "postal_code", "district", "created_at"})
CHILD_FIELDS = frozenset({"id", "first_names", "last_name", "identity_code", "birth_date", "need_categories"})
GUARDIAN_FIELDS = frozenset({"id", "first_names", "last_name", "identity_code", "birth_date", "employment_status"})
CASEWORK_VISIBILITY = {"family": FAMILY_FIELDS, "child": CHILD_FIELDS, "guardian": GUARDIAN_FIELDS}
VISIBLE_FIELDS: dict[str, dict[str, frozenset[str]]] = {
    Role.SOCIAL_WORKER: CASEWORK_VISIBILITY,
    Role.COORDINATOR: CASEWORK_VISIBILITY,
    Role.ADMIN: CASEWORK_VISIBILITY,
    # A service provider needs to know which children it serves: no codes, nothing about the guardians.
    Role.PROVIDER_WORKER: {
        "family": FAMILY_FIELDS,
        "child": frozenset({"id", "first_names", "last_name", "birth_date", "need_categories"}),
        "guardian": frozenset(),
    },
}


def visible_fields(user: User, kind: str) -> frozenset[str]:
    """The fields of a "family", "child" or "guardian" the user's role sees (none for roles not listed)."""
    if not user.is_authenticated:
        return frozenset()
    role = Role.ADMIN if user.is_superuser else user.role
    return VISIBLE_FIELDS.get(role, {}).get(kind, frozenset())


def visibility_for(user: User) -> dict[str, frozenset[str]]:
    """All three kinds at once, for templates: ``{% if "employment_status" in visible.guardian %}``."""
    return {kind: visible_fields(user, kind) for kind in ("family", "child", "guardian")}
