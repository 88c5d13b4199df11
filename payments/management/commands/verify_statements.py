"""Recompute every approved and paid statement from its frozen inputs and compare every stored figure.

Exits non-zero when any stored figure differs from its recomputation (a tampered row, a lost snapshot). What
today's raw data says differently from the frozen inputs is listed as pending adjustments, not failures.
"""

from django.core.management.base import BaseCommand, CommandError

from payments.models import FROZEN_STATUSES, PaymentStatement
from payments.services.freeze import statement_verify


class Command(BaseCommand):
    help = "Recompute approved and paid payment statements from their frozen inputs; non-zero exit on a difference."

    def handle(self, *args, **options):
        statements = PaymentStatement.objects.filter(status__in=FROZEN_STATUSES).select_related("programme")
        failures = 0
        for statement in statements.order_by("programme__code", "period_start", "kind"):
            result = statement_verify(statement=statement)
            label = (
                f"{statement.programme.code} {statement.kind} {statement.period_start}–{statement.period_end} "
                f"#{statement.pk} {statement.payable} EUR"
            )
            if result.ok:
                self.stdout.write(f"OK       {label}")
            else:
                failures += 1
                self.stdout.write(f"MISMATCH {label}: " + "; ".join(result.differences))
            for code, count in result.pending:
                self.stdout.write(f"         pending adjustment: {code} ({count})")
        self.stdout.write(f"{statements.count()} statements checked, {failures} with differences.")
        if failures:
            raise CommandError(f"{failures} statement(s) differ from their frozen inputs")
