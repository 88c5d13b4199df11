"""What each role may do, in one place. Object scoping (whose data) lives in the apps' selectors."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .models import Role, User

# Roles that may see people at all (names, identity codes or pseudonymous rows).
PERSONAL_DATA_ROLES = {Role.SOCIAL_WORKER, Role.PROVIDER_WORKER, Role.COORDINATOR, Role.ADMIN}
IDENTITY_CODE_ROLES = {Role.SOCIAL_WORKER, Role.COORDINATOR, Role.ADMIN}
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
    return has_role(user, IDENTITY_CODE_ROLES)
