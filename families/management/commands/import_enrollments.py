import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from families.services import enrollments_import
from sibcase.models import User


class Command(BaseCommand):
    help = (
        "Enroll families from a CSV file (columns family_reference, programme_code, enrolled_on, backdating_reason). "
        "Every row goes through the enrollment service; one bad row and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)
        parser.add_argument("--user", required=True, help="username of the person importing (recorded as the actor)")
        parser.add_argument("--approved-by", help="coordinator who approved backdated rows (needs a reason per row)")

    def handle(self, *args, csv_file: Path, user: str, approved_by: str | None, **options):
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user {user!r}")
        approver = User.objects.filter(username=approved_by).first() if approved_by else None
        if approved_by and approver is None:
            raise CommandError(f"no user {approved_by!r}")
        with csv_file.open(encoding="utf-8-sig", newline="") as handle:
            results = enrollments_import(actor=actor, rows=list(csv.DictReader(handle)), approved_by=approver)
        for result in results:
            status = "ok" if result.ok else "REFUSED"
            self.stdout.write(f"row {result.row}: {status} {'; '.join(result.messages)}")
        if not all(result.ok for result in results):
            raise CommandError("nothing was imported: fix the refused rows and import the whole file again")
        self.stdout.write(self.style.SUCCESS(f"imported {len(results)} enrollments"))
