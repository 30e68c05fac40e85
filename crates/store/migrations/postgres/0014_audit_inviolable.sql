-- The audit log cannot be rewritten quietly. Two locks, each covering what the other cannot:
-- 1. privileges: the application's role may read and append to audit_log, never update, delete or
--    truncate it (the grants live in each database, the roles are cluster-wide);
-- 2. triggers: UPDATE, DELETE and TRUNCATE on audit_log are refused for everyone, the owner and the
--    superuser included, so that a rewrite needs a deliberate DROP TRIGGER first. What a DBA can still
--    do that way is caught by the signed checkpoints kept outside the database (`parcours audit jalon`,
--    checked by `parcours audit verify`).
-- PostgreSQL flavour; the SQLite flavour beside it has the triggers.

-- Roles: created once per cluster, whichever database migrates first. Tests migrate many databases
-- at once, so a concurrent creation is tolerated.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parcours_app') THEN
        -- The application: operators give its login role membership (GRANT parcours_app TO …).
        CREATE ROLE parcours_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parcours_auditeur') THEN
        -- Read-only access to the audit log, for a DPO's or an auditor's own tools.
        CREATE ROLE parcours_auditeur NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- Grants, in this database.
GRANT USAGE ON SCHEMA public TO parcours_app, parcours_auditeur;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO parcours_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO parcours_app;
-- Tables of later migrations (run by the owner) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO parcours_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO parcours_app;
REVOKE ALL ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM parcours_app;
GRANT SELECT, INSERT ON audit_log TO parcours_app;
GRANT SELECT ON audit_log, audit_heads TO parcours_auditeur;

CREATE FUNCTION audit_log_inviolable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal d''audit inviolable : % refusé, une entrée ne se modifie ni ne se supprime', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_inviolable BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_inviolable();
CREATE TRIGGER audit_log_sans_troncature BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_inviolable();
