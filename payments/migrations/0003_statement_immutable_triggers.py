"""On PostgreSQL, an approved or paid statement and its lines cannot change even by raw SQL or bulk update.

The one change allowed is approved → paid, touching only the payment fields."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payments_statement_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status IN ('approved', 'paid') THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'approved or paid payment statement % cannot be deleted', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.status = 'approved' AND NEW.status = 'paid'
           AND (to_jsonb(NEW) - 'status' - 'paid_on' - 'payment_reference')
             = (to_jsonb(OLD) - 'status' - 'paid_on' - 'payment_reference') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'approved or paid payment statement % cannot be changed', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_statement_immutable BEFORE UPDATE OR DELETE ON payments_paymentstatement
    FOR EACH ROW EXECUTE FUNCTION payments_statement_immutable();

CREATE OR REPLACE FUNCTION payments_line_immutable() RETURNS trigger AS $$
DECLARE
    parent_status text;
BEGIN
    SELECT status INTO parent_status FROM payments_paymentstatement
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.statement_id ELSE NEW.statement_id END;
    IF parent_status IN ('approved', 'paid') THEN
        RAISE EXCEPTION 'lines of an approved or paid payment statement cannot change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.statement_id <> NEW.statement_id THEN
        SELECT status INTO parent_status FROM payments_paymentstatement WHERE id = OLD.statement_id;
        IF parent_status IN ('approved', 'paid') THEN
            RAISE EXCEPTION 'lines of an approved or paid payment statement cannot change'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_line_immutable BEFORE INSERT OR UPDATE OR DELETE ON payments_paymentstatementline
    FOR EACH ROW EXECUTE FUNCTION payments_line_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payments_line_immutable ON payments_paymentstatementline;
DROP FUNCTION IF EXISTS payments_line_immutable();
DROP TRIGGER IF EXISTS payments_statement_immutable ON payments_paymentstatement;
DROP FUNCTION IF EXISTS payments_statement_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
