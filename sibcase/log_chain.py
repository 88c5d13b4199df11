"""Hash chains over the append-only logs (audit trail, access log): tamper evidence.

Each row stores the previous row's hash (`prev_hash`) and its own (`row_hash` = SHA-256 over the previous hash and
a canonical JSON of the row's chained fields). A row altered, deleted or inserted by someone with direct database
access breaks the chain at that point, which `manage.py verify_logs` reports. The chain is ordered by id.

Appends are serialised: on PostgreSQL a transaction-level advisory lock (one for both logs, so two transactions
writing both logs cannot wait on each other in opposite orders) is taken before the head is read and held until
commit, so writers in many processes never fork the chain. SQLite (demo) has a single writer anyway.

No model imports here: sibcase.models uses this module.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, models

GENESIS = "0" * 64
# Any 64-bit constant: the key of the advisory lock serialising appends to the log chains.
CHAIN_LOCK_KEY = 0x5B1C_A5E0_1065


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def canonical(values: dict[str, Any]) -> str:
    """The row's chained fields as JSON: sorted keys, no whitespace, UTC timestamps to the microsecond."""
    return json.dumps(
        {key: _canonical_value(value) for key, value in values.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


def row_digest(*, prev_hash: str, values: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(values)}".encode()).hexdigest()


def chained_values(obj: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """`fields` are attnames (``user_id``, not ``user``) so a foreign key is hashed as the id it stores."""
    return {name: getattr(obj, name) for name in fields}


def lock_chain(using: str) -> None:
    """Serialise chain appends until the current transaction ends (call inside transaction.atomic)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_head(model: type[models.Model], using: str) -> str:
    head = model._base_manager.using(using).order_by("-id").values_list("row_hash", flat=True).first()
    return head or GENESIS


def link(objs: Sequence[models.Model], *, head: str, fields: Sequence[str]) -> None:
    """Set prev_hash and row_hash on new rows, in the order they will be inserted."""
    for obj in objs:
        obj.prev_hash = head
        obj.row_hash = head = row_digest(prev_hash=head, values=chained_values(obj, fields))


@dataclass(frozen=True)
class ChainReport:
    table: str
    rows: int
    head: str
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(model: type[models.Model], fields: Sequence[str], *, using: str = "default") -> ChainReport:
    """Walk the chain in id order; the first row whose links do not hold is reported.

    A row whose own hash is wrong was altered (or inserted with a made-up hash); a row whose hash is right but whose
    `prev_hash` is not the previous row's hash follows a deleted row, or was inserted out of chain.
    """
    expected_prev = GENESIS
    count = 0
    rows: Iterator[models.Model] = model._base_manager.using(using).order_by("id").iterator(2000)
    for row in rows:
        count += 1
        own = row_digest(prev_hash=row.prev_hash, values=chained_values(row, fields))
        if own != row.row_hash:
            return ChainReport(model._meta.db_table, count, expected_prev, row.pk, "altered")
        if row.prev_hash != expected_prev:
            return ChainReport(model._meta.db_table, count, expected_prev, row.pk, "out_of_chain")
        expected_prev = row.row_hash
    return ChainReport(model._meta.db_table, count, expected_prev)
