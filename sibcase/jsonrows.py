"""Related rows loaded as JSON arrays inside one query, and turned back into model instances.

A page that shows many small sections of one object (the family page: children, guardians, enrollments, consents,
episodes, notes…) would take one query per section with prefetch_related. Here each section is an ARRAY(SELECT
json_build_object(…)) column of a single query (PostgreSQL), and `instances()` rebuilds the rows as ordinary model
instances with their foreign keys and many-to-many sets filled in, so templates and model methods
(``get_status_display``, ``__str__``) work unchanged. A field a shape leaves out is deferred (loaded on access).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Expression, F, OuterRef
from django.db.models.functions import Cast, JSONObject


@dataclass(frozen=True)
class Shape:
    """What to load of a model: `fields` (attnames; empty: every concrete field), foreign keys to load with it
    (`related`, like select_related), many-to-many sets (`many`: name → shape of the other side), and annotations
    kept as plain attributes (`extra`)."""

    model: type[models.Model]
    fields: tuple[str, ...] = ()
    related: dict[str, Shape] = field(default_factory=dict)
    many: dict[str, Shape] = field(default_factory=dict)
    extra: dict[str, Expression] = field(default_factory=dict)

    def attnames(self) -> list[str]:
        concrete = [f.attname for f in self.model._meta.concrete_fields]
        return [name for name in concrete if not self.fields or name in self.fields or name == "id"]


def json_object(shape: Shape, prefix: str = "") -> JSONObject:
    values: dict[str, Any] = {}
    by_attname = {f.attname: f for f in shape.model._meta.concrete_fields}
    for name in shape.attnames():
        model_field = by_attname[name]
        expression = F(prefix + name)
        # Decimals as text: JSON numbers would come back as floats.
        if isinstance(model_field, models.DecimalField):
            expression = Cast(expression, models.TextField())
        values[name] = expression
    for name, related in shape.related.items():
        values[name] = json_object(related, f"{prefix}{name}__")
    for name, other in shape.many.items():
        query_name = shape.model._meta.get_field(name).related_query_name()  # a forward many-to-many
        values[name] = ArraySubquery(
            other.model._default_manager.filter(**{query_name: OuterRef(f"{prefix}pk")})
            .order_by("pk")
            .values(json=json_object(other))
        )
    values.update(shape.extra)
    return JSONObject(**values)


def rows(queryset: models.QuerySet, shape: Shape) -> ArraySubquery:
    """The queryset's rows (its filter and order) as an array of JSON objects, for `.annotate()`."""
    return ArraySubquery(queryset.values(json=json_object(shape)))


def instances(shape: Shape, data: list | None) -> list[models.Model]:
    return [instance(shape, item) for item in data or []]


def instance(shape: Shape, item: Any) -> models.Model:
    if isinstance(item, str):
        item = json.loads(item)
    meta = shape.model._meta
    wanted = set(shape.attnames())
    values = [_value(f, item.get(f.attname)) if f.attname in wanted else models.DEFERRED for f in meta.concrete_fields]
    obj = shape.model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in meta.concrete_fields], values)
    for name, related in shape.related.items():
        value = item.get(name)
        meta.get_field(name).set_cached_value(obj, instance(related, value) if value and value.get("id") else None)
    for name, other in shape.many.items():
        prefetched(obj, name, instances(other, item.get(name)))
    for name in shape.extra:
        setattr(obj, name, item.get(name))
    return obj


def _value(model_field: models.Field, value: Any) -> Any:
    return None if value is None else model_field.to_python(value)


def prefetched(obj: models.Model, name: str, objects: list[models.Model]) -> None:
    """Fill `obj.<name>.all()` with `objects` as prefetch_related would (no query on access)."""
    queryset = getattr(obj, name).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._prefetched_objects_cache[name] = queryset  # the accessor's name is its prefetch cache's name
