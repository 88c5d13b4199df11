"""The fund reports' charts, built once from the published figures for the page and the PDF alike."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sibcase.charts import ACTUAL, FORECAST, Chart, bar_chart

from .selectors import ProgrammeReport


def programme_charts(report: ProgrammeReport) -> dict[str, Chart]:
    actual = [(str(r.year), r.actual) for r in report.years if not r.projected]
    counterfactual = [(str(r.year), r.counterfactual) for r in report.years if not r.projected]
    peak = max([float(v) for _, v in actual + counterfactual if isinstance(v, Decimal)], default=0)
    charts = {
        "cumulative": bar_chart(
            title=_("Kertyneet tulospalkkiot vuosittain (EUR)"),
            description=_(
                "Hyväksytyt ja maksetut maksut kumulatiivisesti (yhtenäinen pylväs) ja ennuste (viivoitettu pylväs); "
                "kokonaiskatto katkoviivana: %(cap)s EUR."
            )
            % {
                "cap": number_format(report.total_cap, 2, use_l10n=True, force_grouping=True)
                if report.total_cap
                else "–"
            },
            data=[(str(r.year), r.cumulative, FORECAST if r.projected else ACTUAL) for r in report.years],
            cap=report.total_cap,
            cap_label=_("Kokonaiskatto"),
        ),
        "counterfactual": bar_chart(
            title=_("Vertailukustannus vuosittain (EUR)"),
            description=_("Odotettu kustannus ilman ohjelmaa; sama asteikko kuin toteutuneella."),
            data=counterfactual,
            peak=peak,
        ),
        "actual": bar_chart(
            title=_("Toteutunut kustannus vuosittain (EUR)"),
            description=_("Korjaavien palvelujen toteutunut kustannus; sama asteikko kuin vertailukustannuksella."),
            data=actual,
            peak=peak,
        ),
        "enrollments": bar_chart(
            title=_("Mukaan otetut perheet vuosittain"),
            description=_("Perheet ensimmäisen mukaantulovuoden mukaan; piilotetut luvut merkitty katkoviivalla."),
            data=[(str(y), n) for y, n in report.enrollments_by_year],
        ),
    }
    return charts
