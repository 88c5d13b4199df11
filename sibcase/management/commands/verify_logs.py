"""Check the hash chains of the audit trail and the access log; exit non-zero at the first broken row."""

from django.core.management.base import BaseCommand, CommandError

from sibcase.log_chain import verify_chain
from sibcase.models import AccessLogEntry, AuditEvent

PROBLEMS = {
    "altered": "its contents do not match its hash (altered, or inserted with a made-up hash)",
    "out_of_chain": "it does not follow the previous row (a row before it was deleted, or it was inserted out of chain)",
}


class Command(BaseCommand):
    help = "Verify the tamper-evident hash chains of the audit trail and the access log."

    def handle(self, *args, **options):
        broken = []
        for model in (AuditEvent, AccessLogEntry):
            report = verify_chain(model, model.CHAIN_FIELDS)
            if report.ok:
                self.stdout.write(f"{report.table}: OK, {report.rows} rows, head {report.head}")
            else:
                self.stdout.write(f"{report.table}: BROKEN at row #{report.broken_id}")
                broken.append(f"{report.table} row #{report.broken_id}: {PROBLEMS[report.problem]}")
        if broken:
            raise CommandError("Log chain broken: " + "; ".join(broken))
