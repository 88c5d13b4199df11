"""Template filters that turn internal codes into translated labels (see sibcase/labels.py)."""

from django import template

from sibcase import labels

register = template.Library()


@register.filter
def event_label(event_type: str) -> str:
    return labels.audit_event_label(event_type or "")


@register.filter
def refusal_label(code: str) -> str:
    return labels.refusal_label(code or "")
