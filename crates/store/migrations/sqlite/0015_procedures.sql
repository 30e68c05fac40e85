-- Procedures of a dossier (RSA, MASP, prévention des expulsions), their recorded steps, and the legal
-- timers of the échéancier (reference §10) that the steps start and honour. SQLite flavour; the
-- PostgreSQL one beside it has the same tables, columns and indexes.

CREATE TABLE procedures (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('rsa', 'masp', 'expulsion')),
    -- The team that carries it (escalation and counts by MDS and secteur).
    service_id INTEGER,
    site_id INTEGER,
    secteur_id INTEGER,
    referent_id INTEGER,
    -- Why the référent was named beyond their cap (RSA: PARCOURS_RSA_PLAFOND_REFERENT).
    motif_depassement TEXT,
    ouverte_le TEXT NOT NULL,
    close_le TEXT,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, referent_id) REFERENCES agents(departement_id, id)
);
CREATE INDEX procedures_dossier ON procedures (departement_id, dossier_id);

-- Steps are appended, never edited: the history of the procedure.
CREATE TABLE procedure_etapes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    procedure_id INTEGER NOT NULL,
    etape TEXT NOT NULL,
    date TEXT NOT NULL,
    -- JSON object of the step's fields.
    valeurs TEXT NOT NULL,
    commentaire TEXT NOT NULL,
    auteur_id INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, procedure_id) REFERENCES procedures(departement_id, id)
);
CREATE INDEX procedure_etapes_procedure ON procedure_etapes (departement_id, procedure_id);

CREATE TABLE echeances (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    procedure_id INTEGER NOT NULL,
    regle TEXT NOT NULL,
    -- `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` (civil time) for the hour timers.
    debut TEXT NOT NULL,
    echeance TEXT NOT NULL,
    -- The day of the due date (sorts and filters; equal to echeance for day timers).
    jour TEXT NOT NULL,
    prolongations INTEGER NOT NULL DEFAULT 0,
    etat TEXT NOT NULL CHECK (etat IN ('ouverte', 'honoree', 'levee')),
    traitee_le TEXT,
    -- Copied from the procedure so that the lists of a référent, an MDS and the counts by secteur
    -- read one index, not a join over a million rows.
    site_id INTEGER,
    secteur_id INTEGER,
    referent_id INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, procedure_id) REFERENCES procedures(departement_id, id)
);
CREATE INDEX echeances_procedure ON echeances (departement_id, procedure_id);
CREATE INDEX echeances_ouvertes ON echeances (departement_id, jour) WHERE etat = 'ouverte';
CREATE INDEX echeances_ouvertes_site ON echeances (departement_id, site_id, jour) WHERE etat = 'ouverte';
CREATE INDEX echeances_ouvertes_referent ON echeances (departement_id, referent_id, jour) WHERE etat = 'ouverte';

-- The digests sent: one per agent and day at most.
CREATE TABLE echeances_envois (
    departement_id TEXT NOT NULL REFERENCES departements(id),
    agent_id INTEGER NOT NULL,
    jour TEXT NOT NULL,
    envoye_le TEXT NOT NULL,
    PRIMARY KEY (departement_id, agent_id, jour)
);

-- Open due dates counted by MDS, secteur and day (0: none), kept in step with `echeances` by the
-- store in the same transaction; a row leaves when its count reaches 0. The late counts of a
-- département read these few rows instead of counting every late due date.
CREATE TABLE echeances_jours (
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    secteur_id INTEGER NOT NULL,
    jour TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (departement_id, site_id, secteur_id, jour)
);
CREATE INDEX echeances_jours_jour ON echeances_jours (departement_id, jour);
