"""The error summary at the top of a refused form (see sibcase.forms.error_summary)."""

from django import template

from sibcase.forms import error_summary as collect_errors

register = template.Library()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms_and_formsets):
    return {"errors": collect_errors(*forms_and_formsets)}
