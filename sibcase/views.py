from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET

from families.forms import CaseloadFilterForm
from families.selectors import caseload_for_worker, tasks_due_for_worker, transfers_incoming_count
from payments.fund_reports.views import fund_manager_home_context
from payments.models import StatementStatus
from payments.selectors import statements_for_user
from programs.selectors import programmes_for_user
from sibcase.audit import access_log_record_many
from sibcase.models import AccessAction, AuditEvent, Role

INBOX_LIMIT = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page. Social workers and coordinators see their caseload with the next step for each family."""
    context: dict = {}
    if request.user.role in (Role.SOCIAL_WORKER, Role.COORDINATOR):
        form = CaseloadFilterForm(request.GET or None, programmes=programmes_for_user(request.user))
        filters = form.cleaned_data if form.is_valid() else {}
        caseload = caseload_for_worker(
            user=request.user,
            sort=filters.get("sort") or "enrolled",
            programme_id=filters["programme"].pk if filters.get("programme") else None,
            role=filters.get("role", ""),
        )
        context["caseload"] = caseload.families
        context["caseload_total"] = caseload.total
        context["caseload_form"] = form
        context["tasks"] = tasks_due_for_worker(user=request.user)
        context["incoming_transfers"] = transfers_incoming_count(user=request.user)
        if request.user.role == Role.COORDINATOR:
            # The approval inbox: statements checked by an evaluator and waiting for the coordinator's approval.
            context["inbox_statements"] = list(
                statements_for_user(user=request.user).filter(status=StatementStatus.VALIDATED)[:INBOX_LIMIT]
            )
        context["recent"] = AuditEvent.objects.filter(actor=request.user).order_by("-occurred_at")[:10]
        access_log_record_many(
            user=request.user,
            action=AccessAction.LIST,
            basis="asiakassuhde: oma asiakaslista",
            family_ids=sorted(
                {family.pk for family in caseload.families}
                | {task.family_id for tasks in context["tasks"] for task in tasks}
            ),
            path=request.path,
        )
    if request.user.role == Role.FUND_MANAGER:
        context.update(fund_manager_home_context())
    return render(request, "home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for the load balancer; no data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: JSON under /api/ (an integration never gets an HTML page), the site's page elsewhere."""
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "message": str(_("Ei löytynyt."))}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"code": "server_error", "message": str(_("Palvelussa tapahtui virhe. Mitään ei tallennettu."))},
            status=500,
        )
    return defaults.server_error(request)
