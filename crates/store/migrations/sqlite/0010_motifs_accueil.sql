-- The département's own list of request reasons at the desk (« motifs de la demande »), each attached
-- to one of the nine families of seed 001 so that the figures stay comparable. SQLite flavour; same
-- schema as PostgreSQL. A contact keeps its family (`typologie`) and, when the desk chose one, its motif.
CREATE TABLE accueil_motifs (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    libelle TEXT NOT NULL,
    typologie TEXT NOT NULL CHECK (typologie IN ('financier', 'acces_droits', 'logement',
        'famille_enfance', 'insertion_emploi', 'sante', 'autonomie', 'administratif', 'autre')),
    actif INTEGER NOT NULL DEFAULT 1 CHECK (actif IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, libelle)
);
-- SQLite cannot add a table constraint to an existing table: a single-column reference (ids are unique
-- across départements), the département checked by the store.
ALTER TABLE accueil_contacts ADD COLUMN motif_id INTEGER REFERENCES accueil_motifs(id);
