"""PostgreSQL for the test suite: Django's own backend, with a faster flush.

A test that commits (``django_db(transaction=True)``: live-server, browser and fault tests) is followed by a flush
of every table. Django flushes with one ``TRUNCATE`` of all ~80 tables, which gives each table, index and TOAST
table a new file: about 0.4 s per test here, mostly for tables the test never wrote. ``DELETE FROM`` each table
empties the same tables in about 15 ms. The tables are first locked as TRUNCATE would lock them; the deletes then
run with ``session_replication_role = replica`` for the flush's transaction only, so that neither the foreign keys'
order nor the log tables' append-only triggers stand in their way (every table is emptied, so no reference is left
dangling). That needs a superuser, as the tests' own database user (postgres) is. Flushes that also reset sequences
are left to Django.
"""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences:
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        names = [self.quote_name(table) for table in tables]
        deletes = " ".join(f"DELETE FROM {name};" for name in names)  # noqa: S608 (quoted table names of the models)
        # The lock waits, as TRUNCATE's does, for what another connection (a worker, a live-server thread) still
        # writes; the deletes, each with a snapshot taken after it, then see that too.
        return [
            f"LOCK TABLE {', '.join(names)} IN ACCESS EXCLUSIVE MODE; "
            f"SELECT set_config('session_replication_role', 'replica', true); {deletes}"
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
