-- Dossiers: the file shared by the services that follow a person or a foyer (services, référents),
-- its journal of écrits (append-only versions), documents, plan d'action, exceptional accesses, the
-- duplicate review queue and reversible merges, and the RGPD records (consents, access requests).
-- SQLite flavour; the PostgreSQL flavour beside it has the same tables, columns and constraints.

CREATE TABLE dossiers (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER,
    foyer_id INTEGER,
    intitule TEXT NOT NULL,
    ouvert_le TEXT NOT NULL,
    clos_le TEXT,
    -- Retention: set by the retention job (archive then anonymisation).
    archive_le TEXT,
    anonymise_le TEXT,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    CHECK ((personne_id IS NULL) <> (foyer_id IS NULL)),
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, foyer_id) REFERENCES foyers(departement_id, id),
    FOREIGN KEY (departement_id, created_by) REFERENCES agents(departement_id, id)
);
CREATE INDEX dossiers_personne ON dossiers (departement_id, personne_id);
CREATE INDEX dossiers_foyer ON dossiers (departement_id, foyer_id);

-- The services that follow a dossier, over time (jusqu_au NULL: still following).
CREATE TABLE dossier_services (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    depuis TEXT NOT NULL,
    jusqu_au TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, service_id) REFERENCES services(departement_id, id)
);
CREATE INDEX dossier_services_dossier ON dossier_services (departement_id, dossier_id);

CREATE TABLE dossier_referents (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    depuis TEXT NOT NULL,
    jusqu_au TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, service_id) REFERENCES services(departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id)
);
CREATE INDEX dossier_referents_dossier ON dossier_referents (departement_id, dossier_id);
CREATE INDEX dossier_referents_agent ON dossier_referents (departement_id, agent_id);

-- An écrit: who wrote it, for which service, and who may read it. Its text lives in versions.
CREATE TABLE ecrits (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    auteur_id INTEGER NOT NULL,
    service_id INTEGER,
    visibilite TEXT NOT NULL CHECK (visibilite IN ('dossier', 'service', 'agents', 'auteur')),
    base_legale TEXT CHECK (base_legale IN ('L121-6-2', 'L226-2-2')),
    created_at TEXT NOT NULL,
    CHECK (visibilite IN ('service', 'auteur', 'agents') OR base_legale IS NOT NULL),
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, auteur_id) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, service_id) REFERENCES services(departement_id, id)
);
CREATE INDEX ecrits_dossier ON ecrits (departement_id, dossier_id);

-- Versions are never updated: a correction inserts the next version with its reason.
CREATE TABLE ecrit_versions (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    ecrit_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    date_evenement TEXT NOT NULL,
    texte TEXT NOT NULL,
    motif TEXT,
    par_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, ecrit_id, version),
    FOREIGN KEY (departement_id, ecrit_id) REFERENCES ecrits(departement_id, id),
    FOREIGN KEY (departement_id, par_id) REFERENCES agents(departement_id, id)
);

CREATE TABLE ecrit_destinataires (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    ecrit_id INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, ecrit_id, agent_id),
    FOREIGN KEY (departement_id, ecrit_id) REFERENCES ecrits(departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id)
);

-- Documents are stored in the database: they are written in the same transaction as their audit
-- entry, backed up with it, and a crash cannot leave a file without its row or the reverse.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    type_document TEXT NOT NULL,
    nom_fichier TEXT NOT NULL,
    mime TEXT NOT NULL,
    taille INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    contenu BLOB NOT NULL,
    visibilite TEXT NOT NULL CHECK (visibilite IN ('dossier', 'service', 'auteur')),
    base_legale TEXT CHECK (base_legale IN ('L121-6-2', 'L226-2-2')),
    auteur_id INTEGER NOT NULL,
    service_id INTEGER,
    created_at TEXT NOT NULL,
    CHECK (visibilite IN ('service', 'auteur') OR base_legale IS NOT NULL),
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, auteur_id) REFERENCES agents(departement_id, id)
);
CREATE INDEX documents_dossier ON documents (departement_id, dossier_id);

-- Plan d'action: objectives (objectif_id NULL) and their actions.
CREATE TABLE plan_items (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    objectif_id INTEGER,
    libelle TEXT NOT NULL,
    echeance TEXT,
    statut TEXT NOT NULL,
    resultat TEXT,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, objectif_id) REFERENCES plan_items(departement_id, id),
    FOREIGN KEY (departement_id, created_by) REFERENCES agents(departement_id, id)
);
CREATE INDEX plan_items_dossier ON plan_items (departement_id, dossier_id);

-- Exceptional accesses (« accès motivé »): time-limited, with their reason, shown to the cadre.
CREATE TABLE acces_motives (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    agent_id INTEGER NOT NULL,
    personne_id INTEGER NOT NULL,
    motif TEXT NOT NULL,
    debut TEXT NOT NULL,
    fin TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
CREATE INDEX acces_motives_agent ON acces_motives (departement_id, agent_id, personne_id);

-- A merged person stays (for the undo) but points to the person kept.
ALTER TABLE personnes ADD COLUMN fusionnee_dans INTEGER;

-- Pairs of likely duplicates, filled by the batch job and by creations, reviewed by a cadre.
CREATE TABLE doublons_candidats (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_a INTEGER NOT NULL,
    personne_b INTEGER NOT NULL,
    score REAL NOT NULL,
    statut TEXT NOT NULL CHECK (statut IN ('a_examiner', 'fusionnes', 'distincts')),
    detecte_le TEXT NOT NULL,
    decide_par INTEGER,
    decide_le TEXT,
    CHECK (personne_a < personne_b),
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, personne_a, personne_b),
    FOREIGN KEY (departement_id, personne_a) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, personne_b) REFERENCES personnes(departement_id, id)
);
CREATE INDEX doublons_candidats_statut ON doublons_candidats (departement_id, statut, score);

-- A merge: which rows moved from the absorbed person to the kept one (JSON), so it can be undone.
CREATE TABLE fusions (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    gardee_id INTEGER NOT NULL,
    absorbee_id INTEGER NOT NULL,
    mouvements TEXT NOT NULL,
    par_id INTEGER NOT NULL,
    le TEXT NOT NULL,
    annulee_par INTEGER,
    annulee_le TEXT,
    CHECK (gardee_id <> absorbee_id),
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, gardee_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, absorbee_id) REFERENCES personnes(departement_id, id)
);

-- RGPD: consents given or withdrawn by a person, and requests to exercise a right.
CREATE TABLE consentements (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    objet TEXT NOT NULL,
    donne INTEGER NOT NULL CHECK (donne IN (0, 1)),
    mode TEXT NOT NULL,
    le TEXT NOT NULL,
    par_id INTEGER NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
CREATE INDEX consentements_personne ON consentements (departement_id, personne_id);

CREATE TABLE demandes_droits (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    droit TEXT NOT NULL,
    recue_le TEXT NOT NULL,
    echeance TEXT NOT NULL,
    prolongee INTEGER NOT NULL DEFAULT 0,
    repondue_le TEXT,
    par_id INTEGER NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);

-- Runs of the batch duplicate analysis, with their progress for the web page.
CREATE TABLE doublons_analyses (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    statut TEXT NOT NULL CHECK (statut IN ('en_attente', 'en_cours', 'terminee', 'echec')),
    progression TEXT,
    personnes INTEGER,
    paires INTEGER,
    nouvelles INTEGER,
    lancee_par INTEGER NOT NULL,
    lancee_le TEXT NOT NULL,
    terminee_le TEXT,
    UNIQUE (departement_id, id)
);

-- Runs of the retention rules: a simulation (what would be archived or anonymised) comes first; an
-- application refers to the simulation it carries out and to the visa of the archives.
CREATE TABLE conservation_passes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    mode TEXT NOT NULL CHECK (mode IN ('simulation', 'application')),
    statut TEXT NOT NULL CHECK (statut IN ('en_attente', 'terminee', 'echec')),
    simulation_id INTEGER,
    visa TEXT,
    rapport TEXT,
    lancee_par INTEGER NOT NULL,
    lancee_le TEXT NOT NULL,
    terminee_le TEXT,
    UNIQUE (departement_id, id)
);
