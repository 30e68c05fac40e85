-- Financial aids (issue 20): the catalogue of funds with the history of their rules, envelopes,
-- household budgets (dated, never overwritten), commissions, requests and their decisions, payment
-- orders with the anomalies that hold them; and the death of a person, which holds any payment.
-- SQLite flavour.

ALTER TABLE personnes ADD COLUMN decede_le TEXT;

CREATE TABLE aide_fonds (
    departement_id TEXT NOT NULL REFERENCES departements(id),
    code TEXT NOT NULL,
    libelle TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (departement_id, code)
);

-- Each version of a fund's rules applies from `valide_du`; a request keeps the version it was judged by.
CREATE TABLE aide_fonds_versions (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    fonds_code TEXT NOT NULL,
    valide_du TEXT NOT NULL,
    regles TEXT NOT NULL,
    cree_par INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, fonds_code, valide_du),
    FOREIGN KEY (departement_id, fonds_code) REFERENCES aide_fonds(departement_id, code)
);

-- Committed and paid amounts are kept with the envelope and changed in the same transaction as the
-- decision or the payment, so that « no approval beyond the envelope » is one conditional update.
CREATE TABLE aide_enveloppes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    fonds_code TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    annee INTEGER NOT NULL,
    alloue BIGINT NOT NULL CHECK (alloue >= 0),
    engage BIGINT NOT NULL DEFAULT 0,
    paye BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, fonds_code, site_id, annee),
    FOREIGN KEY (departement_id, fonds_code) REFERENCES aide_fonds(departement_id, code),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id)
);

CREATE TABLE aide_budgets (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    etabli_le TEXT NOT NULL,
    lignes TEXT NOT NULL,
    membres TEXT NOT NULL,
    calcul TEXT NOT NULL,
    cree_par INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id)
);
CREATE INDEX aide_budgets_dossier ON aide_budgets (departement_id, dossier_id, id);

CREATE TABLE aide_commissions (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER,
    date TEXT NOT NULL,
    intitule TEXT NOT NULL,
    membres TEXT NOT NULL DEFAULT '',
    proces_verbal TEXT,
    tenue_le TEXT,
    cree_par INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id)
);
CREATE INDEX aide_commissions_date ON aide_commissions (departement_id, date);

-- `foyer_cle` is the household the aid is for (`f<id>`, or `p<id>` for a person without a foyer):
-- yearly caps, repeats and shared IBANs are counted on it.
CREATE TABLE aide_demandes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    dossier_id INTEGER NOT NULL,
    personne_id INTEGER,
    foyer_cle TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    fonds_code TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    besoin TEXT NOT NULL,
    montant_demande BIGINT NOT NULL CHECK (montant_demande > 0),
    mode TEXT NOT NULL,
    beneficiaire TEXT NOT NULL,
    iban TEXT,
    carte TEXT,
    motif TEXT NOT NULL DEFAULT '',
    pieces TEXT NOT NULL,
    budget_id INTEGER,
    niveau TEXT NOT NULL,
    statut TEXT NOT NULL,
    instruit_par INTEGER,
    demandee_le TEXT NOT NULL,
    commission_id INTEGER,
    sens TEXT,
    montant_accorde BIGINT,
    motivation TEXT,
    depassement TEXT,
    decide_par INTEGER,
    decide_le TEXT,
    decide_en_commission INTEGER NOT NULL DEFAULT 0,
    recours_le TEXT,
    recours_motif TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id),
    FOREIGN KEY (departement_id, version_id) REFERENCES aide_fonds_versions(departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, commission_id) REFERENCES aide_commissions(departement_id, id),
    FOREIGN KEY (departement_id, budget_id) REFERENCES aide_budgets(departement_id, id)
);
CREATE INDEX aide_demandes_dossier ON aide_demandes (departement_id, dossier_id);
CREATE INDEX aide_demandes_foyer ON aide_demandes (departement_id, foyer_cle, fonds_code, besoin);
CREATE INDEX aide_demandes_site ON aide_demandes (departement_id, site_id, statut);
CREATE INDEX aide_demandes_mois ON aide_demandes (departement_id, demandee_le);

-- `cle` is the idempotency key given to the provider: a retried order is never paid twice.
CREATE TABLE aide_ordres (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    demande_id INTEGER NOT NULL,
    cle TEXT NOT NULL,
    mode TEXT NOT NULL,
    montant BIGINT NOT NULL CHECK (montant > 0),
    beneficiaire TEXT NOT NULL,
    iban TEXT,
    carte TEXT,
    statut TEXT NOT NULL,
    anomalies TEXT NOT NULL DEFAULT '',
    controle_le TEXT,
    tentatives INTEGER NOT NULL DEFAULT 0,
    derniere_erreur TEXT,
    reference TEXT,
    paye_le TEXT,
    examine_par INTEGER,
    examine_le TEXT,
    examen_motif TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (cle),
    FOREIGN KEY (departement_id, demande_id) REFERENCES aide_demandes(departement_id, id)
);
CREATE INDEX aide_ordres_statut ON aide_ordres (departement_id, statut);
CREATE INDEX aide_ordres_demande ON aide_ordres (departement_id, demande_id);
CREATE INDEX aide_ordres_iban ON aide_ordres (iban) WHERE iban IS NOT NULL AND mode = 'virement_personne';
