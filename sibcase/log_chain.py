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


def insert_chained(model: type[models.Model], objs: Sequence[models.Model], using: str) -> None:
    """Append `objs` to the model's chain in ONE statement (PostgreSQL): the lock and the head come from
    `sibcase_chain_head()` (migration sibcase 0008), each row's hash is SHA-256 over the previous hash and the row's
    canonical JSON, computed here and chained in SQL (the same digest as `row_digest`), and the rows are inserted in
    list order, so ids follow the chain. Saves the two round trips (lock, head) every page with personal data paid.
    """
    connection = connections[using]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key and f.attname not in ("prev_hash", "row_hash")]
    chained = model.CHAIN_FIELDS  # type: ignore[attr-defined]
    rows_sql, params = [], []
    for n, obj in enumerate(objs, start=1):
        values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection=connection) for f in fields]
        rows_sql.append("(" + ", ".join([str(n), "%s"] + [f"%s::{f.db_type(connection)}" for f in fields]) + ")")
        params.extend([canonical(chained_values(obj, chained)), *values])
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    # Identifiers come from the model, every value is a parameter.
    sql = f"""
        WITH RECURSIVE new_rows(n, canon, {columns}) AS (VALUES {", ".join(rows_sql)}),
        chain(n, hash) AS (
            SELECT 0, sibcase_chain_head(%s::regclass, %s)
            UNION ALL
            SELECT r.n, encode(sha256(convert_to(c.hash || E'\\n' || r.canon, 'UTF8')), 'hex')
            FROM chain c JOIN new_rows r ON r.n = c.n + 1
        )
        INSERT INTO {qn(meta.db_table)} (prev_hash, row_hash, {columns})
        SELECT p.hash, c.hash, {", ".join(f"r.{qn(f.column)}" for f in fields)}
        FROM new_rows r JOIN chain c ON c.n = r.n JOIN chain p ON p.n = r.n - 1
        ORDER BY r.n
        RETURNING {qn(meta.pk.column)}, prev_hash, row_hash
    """  # noqa: S608
    params.extend([meta.db_table, CHAIN_LOCK_KEY])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = sorted(cursor.fetchall())  # ids ascend in chain order
    for obj, (pk, prev_hash, row_hash) in zip(objs, returned, strict=True):
        obj.pk, obj.prev_hash, obj.row_hash = pk, prev_hash, row_hash
        obj._state.adding, obj._state.db = False, using


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
