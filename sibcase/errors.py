"""The one domain error type. Pages show it as form errors, the API as {"code", "message", "details"}."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Problem:
    """One machine-readable reason with a translatable message (a lazy gettext string)."""

    code: str
    message: str | Promise
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


class DomainError(Exception):
    """A business rule refused the operation. Nothing has been saved when this is raised."""

    def __init__(self, problems: Problem | Iterable[Problem], *, field_name: str | None = None) -> None:
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        self.field_name = field_name
        super().__init__("; ".join(p.code for p in self.problems))

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    @property
    def messages(self) -> list[str]:
        return [str(p.message) for p in self.problems]

    def as_dict(self) -> dict[str, Any]:
        first = self.problems[0]
        return {
            "code": first.code,
            "message": str(first.message),
            "details": {"problems": [p.as_dict() for p in self.problems], **first.details},
        }
