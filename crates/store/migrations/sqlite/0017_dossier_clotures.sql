-- The end of an accompaniment: each closing of a dossier with its reason, and its reopening with
-- its own (issue 16). `dossiers.clos_le` stays the state; this table is the history. SQLite flavour.

CREATE TABLE dossier_clotures (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    clos_le TEXT NOT NULL,
    motif TEXT NOT NULL,
    precision TEXT,
    clos_par INTEGER NOT NULL,
    rouvert_le TEXT,
    motif_reouverture TEXT,
    rouvert_par INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, clos_par) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, rouvert_par) REFERENCES agents(departement_id, id)
);
CREATE INDEX dossier_clotures_dossier ON dossier_clotures (departement_id, dossier_id);
