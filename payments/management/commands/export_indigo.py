"""manage.py export_indigo PATH [--fund ID]: the fund as one INDIGO project JSON file, validated before it is written."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payments.fund_reports.indigo import STANDARD_VERSION, indigo_errors, indigo_fund, indigo_project
from programs.models import Fund


class Command(BaseCommand):
    help = f"Write the fund's programmes as one INDIGO {STANDARD_VERSION} project JSON file (aggregates only)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="file to write")
        parser.add_argument("--fund", type=int, help="the fund's id (needed when there are several funds)")

    def handle(self, *args, path: str, fund: int | None = None, **options):
        try:
            chosen = indigo_fund(fund_id=fund)
        except Fund.DoesNotExist:
            raise CommandError("No such fund; give --fund ID when there are several funds.") from None
        data = indigo_project(fund=chosen)
        errors = indigo_errors(data)
        if errors:
            raise CommandError("The export does not validate against the INDIGO schema:\n" + "\n".join(errors))
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"INDIGO {STANDARD_VERSION} project of {chosen} written to {path}")
