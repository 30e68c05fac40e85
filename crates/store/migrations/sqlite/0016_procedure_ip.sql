-- The information préoccupante received by the CRIP becomes a procedure of the child's dossier
-- (reference §1.3): its type joins the CHECK list of `procedures`. SQLite cannot alter a CHECK
-- constraint and its migrations here run inside a transaction, where foreign keys cannot be switched
-- off; the table is therefore rebuilt right after the migrations by `Store::migrate`
-- (`procedures_ip_sqlite`), as SQLite's documentation prescribes. Nothing to do in this file.
SELECT 1;
