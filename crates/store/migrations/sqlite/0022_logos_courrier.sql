-- The département's logo printed on its letters (issue 20), kept in versions: the latest row is in
-- force; a row without content withdraws it.

CREATE TABLE logos_courrier (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    format TEXT CHECK (format IN ('png', 'jpeg', 'svg')),
    contenu BLOB,
    cree_par INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    CHECK ((format IS NULL) = (contenu IS NULL)),
    FOREIGN KEY (departement_id, cree_par) REFERENCES agents(departement_id, id)
);
CREATE INDEX logos_courrier_dep ON logos_courrier (departement_id, id);
