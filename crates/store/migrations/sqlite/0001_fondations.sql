-- Fondations: départements, référentiel, agents, sessions, API tokens, audit log, jobs, imports.
-- SQLite flavour; the PostgreSQL flavour beside it has the same tables, columns and constraints.
-- Every business table carries departement_id (the tenant key) and its unique keys include it.

CREATE TABLE departements (
    id TEXT PRIMARY KEY,
    nom TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE territoires (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    code TEXT NOT NULL,
    nom TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('UTASI', 'DTS', 'TIS')),
    ferme_le TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, code)
);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    territoire_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    nom TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('MDS', 'MDD', 'CMS')),
    adresse TEXT NOT NULL,
    commune_insee TEXT,
    ferme_le TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, code),
    FOREIGN KEY (departement_id, territoire_id) REFERENCES territoires(departement_id, id)
);

CREATE TABLE secteurs (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    nom TEXT NOT NULL,
    ferme_le TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, code),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id)
);

CREATE TABLE communes (
    departement_id TEXT NOT NULL REFERENCES departements(id),
    insee TEXT NOT NULL,
    nom TEXT NOT NULL,
    codes_postaux TEXT NOT NULL,
    population INTEGER NOT NULL CHECK (population >= 0),
    secteur_id INTEGER,
    PRIMARY KEY (departement_id, insee),
    FOREIGN KEY (departement_id, secteur_id) REFERENCES secteurs(departement_id, id)
);
CREATE INDEX communes_secteur ON communes (departement_id, secteur_id);

CREATE TABLE permanences (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    commune_insee TEXT NOT NULL,
    nom TEXT NOT NULL,
    adresse TEXT NOT NULL,
    horaires TEXT NOT NULL,
    ferme_le TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, commune_insee) REFERENCES communes(departement_id, insee)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    code TEXT NOT NULL,
    nom TEXT NOT NULL,
    kind TEXT NOT NULL,
    ferme_le TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, code)
);

CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    matricule TEXT NOT NULL,
    prenom TEXT NOT NULL,
    nom TEXT NOT NULL,
    email TEXT NOT NULL,
    metier TEXT NOT NULL,
    role TEXT NOT NULL,
    service_id INTEGER NOT NULL,
    pool_remplacement INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    oidc_sub TEXT,
    ferme_le TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, matricule),
    UNIQUE (departement_id, email),
    FOREIGN KEY (departement_id, service_id) REFERENCES services(departement_id, id)
);
CREATE INDEX agents_email ON agents (email);

CREATE TABLE affectations (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    agent_id INTEGER NOT NULL,
    site_id INTEGER,
    secteur_id INTEGER,
    debut TEXT NOT NULL,
    fin TEXT,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, secteur_id) REFERENCES secteurs(departement_id, id)
);
CREATE INDEX affectations_agent ON affectations (departement_id, agent_id);

CREATE TABLE postes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    libelle TEXT NOT NULL,
    metier TEXT NOT NULL,
    site_id INTEGER,
    service_id INTEGER NOT NULL,
    etp_centiemes INTEGER NOT NULL CHECK (etp_centiemes > 0 AND etp_centiemes <= 100),
    agent_id INTEGER,
    ferme_le TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, service_id) REFERENCES services(departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    agent_id INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    id_token TEXT,
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    nom TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    UNIQUE (departement_id, id)
);

CREATE TABLE audit_heads (
    departement_id TEXT PRIMARY KEY REFERENCES departements(id),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_log (
    departement_id TEXT NOT NULL REFERENCES departements(id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    agent_id INTEGER,
    token_id INTEGER,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    purpose TEXT,
    request_id TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (departement_id, seq)
);
CREATE INDEX audit_log_agent ON audit_log (departement_id, agent_id, at);
CREATE INDEX audit_log_record ON audit_log (departement_id, record_type, record_id);
CREATE INDEX audit_log_at ON audit_log (departement_id, at);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('en_attente', 'en_cours', 'termine', 'echec')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TEXT NOT NULL,
    locked_at TEXT,
    locked_by TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_due ON jobs (status, run_at);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    preview TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('apercu', 'applique', 'abandonne')),
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    applied_at TEXT,
    UNIQUE (departement_id, id)
);
