"""Audit event types and refusal codes have translated labels; an unknown code never shows as itself."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from payments.models import StatementStatus
from sibcase.labels import AUDIT_EVENT_LABELS, REFUSAL_LABELS, audit_event_label, refusal_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("families", "outcomes", "programs", "payments", "sibcase")


def _source() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_every_audit_event_type_in_the_code_has_a_label():
    source = _source()
    literal = set(re.findall(r'event_type="([a-z_.]+)"', source))
    literal |= set(re.findall(r'"([a-z_]+\.[a-z_]+)" if created else "([a-z_]+\.[a-z_]+)"', source)[0])
    statuses = {f"statement.{status}" for status in StatementStatus.values}
    assert literal | statuses <= set(AUDIT_EVENT_LABELS)


def test_every_enrollment_refusal_code_has_a_label():
    source = (ROOT / "families" / "services.py").read_text(encoding="utf-8")
    start = source.index("def _enrollment_problems")
    end = source.index("\ndef _eligibility_problems")
    body = source[start:end] + source[source.index("def _eligibility_problems") : source.index("\ndef _cutoff_problem")]
    body += source[source.index("def _cutoff_problem") : source.index("\ndef enrollment_exit")]
    codes = set(re.findall(r'Problem\(\s*"([a-z_]+)"', body)) | {"capacity_full", "already_enrolled"}
    assert codes <= set(REFUSAL_LABELS)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fi", "Suostumus kirjattiin"), ("sv", "Samtycket registrerades"), ("en", "Consent recorded")],
)
def test_audit_event_label_is_in_the_active_language(language, expected):
    with translation.override(language):
        assert audit_event_label("consent.given") == expected


def test_unknown_codes_show_a_general_label_not_the_code():
    with translation.override("fi"):
        assert audit_event_label("family.corrected") == "Perhe: muutos"
        assert audit_event_label("something_new.happened") == "Kirjaus"
        assert refusal_label("some_new_reason") == "Muu syy"
