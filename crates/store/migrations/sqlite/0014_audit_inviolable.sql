-- The audit log cannot be rewritten quietly: UPDATE and DELETE on audit_log are refused by triggers,
-- so that a rewrite needs a deliberate DROP TRIGGER first; what someone with the file can still do that
-- way is caught by the signed checkpoints kept outside the database (`parcours audit jalon`, checked
-- by `parcours audit verify`). SQLite has no roles: the PostgreSQL flavour adds the privileges.

CREATE TRIGGER audit_log_sans_modification BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit inviolable : UPDATE refusé, une entrée ne se modifie ni ne se supprime');
END;

CREATE TRIGGER audit_log_sans_suppression BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit inviolable : DELETE refusé, une entrée ne se modifie ni ne se supprime');
END;
