"""On PostgreSQL, below the ORM: previews never leave draft; a statement leaves draft only with frozen inputs; the
person who validated never approves; the frozen inputs of an approved or paid statement never change; payment terms
a statement used never change.

Triggers rather than CHECK constraints so that rows written before these rules (immutable once approved) do not
stop the migration: the rules hold for every change from now on."""

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
           AND (to_jsonb(NEW) - 'status' - 'paid_on' - 'payment_reference' - 'paid_recorded_at' - 'paid_recorded_by_id')
             = (to_jsonb(OLD) - 'status' - 'paid_on' - 'payment_reference' - 'paid_recorded_at' - 'paid_recorded_by_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'approved or paid payment statement % cannot be changed', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payments_statement_signing_rules() RETURNS trigger AS $$
BEGIN
    IF NEW.status <> 'draft' AND NEW.kind = 'preview' THEN
        RAISE EXCEPTION 'a preview statement stays a draft' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status <> 'draft' AND NEW.frozen_hash = '' THEN
        RAISE EXCEPTION 'a statement leaves draft only with frozen inputs' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.approved_by_id IS NOT NULL AND NEW.approved_by_id = NEW.validated_by_id THEN
        RAISE EXCEPTION 'the validator cannot approve the same statement' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_statement_signing_rules BEFORE INSERT OR UPDATE ON payments_paymentstatement
    FOR EACH ROW WHEN (NEW.status <> 'draft') EXECUTE FUNCTION payments_statement_signing_rules();

CREATE OR REPLACE FUNCTION payments_frozen_inputs_immutable() RETURNS trigger AS $$
DECLARE
    parent_status text;
BEGIN
    SELECT status INTO parent_status FROM payments_paymentstatement
     WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.statement_id ELSE OLD.statement_id END;
    IF parent_status IN ('approved', 'paid') THEN
        RAISE EXCEPTION 'frozen inputs of an approved or paid payment statement cannot change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_frozen_cohort_immutable BEFORE INSERT OR UPDATE OR DELETE ON payments_statementcohortentry
    FOR EACH ROW EXECUTE FUNCTION payments_frozen_inputs_immutable();
CREATE TRIGGER payments_frozen_observation_immutable BEFORE INSERT OR UPDATE OR DELETE
    ON payments_statementobservation FOR EACH ROW EXECUTE FUNCTION payments_frozen_inputs_immutable();

CREATE OR REPLACE FUNCTION payments_terms_in_use_immutable() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM payments_paymentstatement WHERE terms_id = OLD.id) THEN
        RAISE EXCEPTION 'payment terms % are used by a statement and cannot change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_terms_in_use_immutable BEFORE UPDATE OR DELETE ON payments_paymentterms
    FOR EACH ROW EXECUTE FUNCTION payments_terms_in_use_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payments_terms_in_use_immutable ON payments_paymentterms;
DROP FUNCTION IF EXISTS payments_terms_in_use_immutable();
DROP TRIGGER IF EXISTS payments_frozen_observation_immutable ON payments_statementobservation;
DROP TRIGGER IF EXISTS payments_frozen_cohort_immutable ON payments_statementcohortentry;
DROP FUNCTION IF EXISTS payments_frozen_inputs_immutable();
DROP TRIGGER IF EXISTS payments_statement_signing_rules ON payments_paymentstatement;
DROP FUNCTION IF EXISTS payments_statement_signing_rules();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_statement_signing")]
    operations = [migrations.RunPython(forward, backward)]
