-- Personnes et foyers: état civil, contacts, dated situations and addresses, foyers and their members.
-- SQLite flavour; the PostgreSQL flavour beside it has the same tables, columns and constraints.
-- Situations and addresses are append-only (a change is a new row from its valid_from date); a foyer
-- membership runs from arrivee included to depart excluded. Dates are YYYY-MM-DD text.

CREATE TABLE personnes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    nom_naissance TEXT NOT NULL,
    nom_usage TEXT,
    -- Given names in order, separated by commas.
    prenoms TEXT NOT NULL,
    -- ISO/IEC 5218: 0 not known, 1 male, 2 female.
    sexe INTEGER NOT NULL CHECK (sexe IN (0, 1, 2)),
    date_naissance TEXT,
    commune_naissance TEXT,
    pays_naissance TEXT,
    nir TEXT,
    -- Folded names (lower-case ASCII, no accents, hyphens, apostrophes or spaces inside a name).
    nom_recherche TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (commune_naissance IS NULL OR pays_naissance IS NULL),
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, nir)
);
CREATE INDEX personnes_nom_recherche ON personnes (departement_id, nom_recherche);
CREATE INDEX personnes_date_naissance ON personnes (departement_id, date_naissance);

CREATE TABLE personne_contacts (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('telephone', 'email')),
    -- Phones in international form (+33…), e-mails in lower case.
    valeur TEXT NOT NULL,
    rang INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
CREATE INDEX personne_contacts_valeur ON personne_contacts (departement_id, kind, valeur);
CREATE INDEX personne_contacts_personne ON personne_contacts (departement_id, personne_id);

CREATE TABLE personne_situations (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    familiale TEXT,
    logement TEXT,
    emploi TEXT,
    -- Codes of the income sources, separated by spaces.
    ressources TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, created_by) REFERENCES agents(departement_id, id)
);
CREATE INDEX personne_situations_personne ON personne_situations (departement_id, personne_id, valid_from);

CREATE TABLE adresses (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    -- One to three lines, separated by line feeds.
    lignes TEXT NOT NULL,
    code_postal TEXT NOT NULL,
    -- Not a foreign key: the commune may lie outside the département.
    commune_insee TEXT NOT NULL,
    -- The secteur the commune was attached to when the address was recorded.
    secteur_id INTEGER,
    valid_from TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, secteur_id) REFERENCES secteurs(departement_id, id),
    FOREIGN KEY (departement_id, created_by) REFERENCES agents(departement_id, id)
);
CREATE INDEX adresses_personne ON adresses (departement_id, personne_id, valid_from);
CREATE INDEX adresses_secteur ON adresses (departement_id, secteur_id);

CREATE TABLE foyers (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id)
);

CREATE TABLE foyer_membres (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    foyer_id INTEGER NOT NULL,
    personne_id INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('DEMANDEUR', 'CONJOINT', 'ENFANT', 'AUTRE')),
    arrivee TEXT NOT NULL,
    depart TEXT,
    created_at TEXT NOT NULL,
    CHECK (depart IS NULL OR depart >= arrivee),
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, foyer_id) REFERENCES foyers(departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
CREATE INDEX foyer_membres_foyer ON foyer_membres (departement_id, foyer_id);
CREATE INDEX foyer_membres_personne ON foyer_membres (departement_id, personne_id);
