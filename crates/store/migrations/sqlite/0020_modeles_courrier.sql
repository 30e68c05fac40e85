-- Letter templates a département edits in Parcours (issue 20: the notification of a decision on a
-- financial aid), kept in versions: the latest is in force, the earlier ones stay readable.
-- SQLite flavour.

CREATE TABLE modeles_courrier (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    nom TEXT NOT NULL,
    source TEXT NOT NULL,
    cree_par INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, cree_par) REFERENCES agents(departement_id, id)
);
CREATE INDEX modeles_courrier_nom ON modeles_courrier (departement_id, nom, id);
