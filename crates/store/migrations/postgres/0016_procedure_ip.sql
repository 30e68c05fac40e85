-- The information préoccupante received by the CRIP becomes a procedure of the child's dossier
-- (reference §1.3): its type joins the list.
ALTER TABLE procedures DROP CONSTRAINT procedures_type_check;
ALTER TABLE procedures ADD CONSTRAINT procedures_type_check
    CHECK (type IN ('rsa', 'masp', 'expulsion', 'ip'));
