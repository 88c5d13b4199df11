"""Display of report figures: numbers in the user's locale, a suppressed "<5" as it is, nothing as a dash."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def figure(value, decimals: str = "2"):
    if value is None or value == "":
        return "–"
    if isinstance(value, (int, float, Decimal)):
        return floatformat(value, f"{decimals}g")
    return value
