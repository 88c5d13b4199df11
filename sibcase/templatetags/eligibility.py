"""Template helpers for eligibility verdicts (programs.services.EligibilityResult)."""

from django import template

register = template.Library()


@register.filter
def any_open(eligibility) -> bool:
    """True when no verdict was computed, or at least one referred programme takes new families now."""
    return not eligibility or any(not item["result"].is_closed for item in eligibility)
