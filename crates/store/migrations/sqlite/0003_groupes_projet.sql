-- Groupes projet drawn by lot (sortition) among volunteers, with quotas. SQLite flavour.
CREATE TABLE groupes_projet (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    nom TEXT NOT NULL,
    description TEXT NOT NULL,
    taille INTEGER NOT NULL CHECK (taille > 0),
    -- features.csv as published: feature,value,min,max
    quotas_csv TEXT NOT NULL,
    -- inscriptions → calcul → publie → tire (or echec_calcul)
    statut TEXT NOT NULL,
    source_graine TEXT,
    progression TEXT,
    erreur TEXT,
    volontaires_csv TEXT,
    distribution_json TEXT,
    resultat_json TEXT,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    publie_at TEXT,
    tire_at TEXT,
    UNIQUE (departement_id, id)
);

CREATE TABLE volontaires (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    groupe_id INTEGER NOT NULL,
    identifiant TEXT NOT NULL,
    agent_id INTEGER,
    -- JSON object feature → value
    valeurs TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, groupe_id, identifiant),
    FOREIGN KEY (departement_id, groupe_id) REFERENCES groupes_projet(departement_id, id)
);
