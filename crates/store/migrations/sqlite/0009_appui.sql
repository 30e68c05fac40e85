-- Appui technique d'accueil and duty roster (seed 001 fiches 3 and 4). SQLite flavour; same schema as
-- PostgreSQL. Times are civil times of the département (`YYYY-MM-DDTHH:MM`, sort as text).
-- A request of the desk for a social worker's support: en_attente → pris_en_charge → clos, or annule.
CREATE TABLE appui_demandes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    contact_id INTEGER,
    personne_id INTEGER,
    motif TEXT NOT NULL CHECK (motif IN ('orientation_difficile', 'acces_droits', 'urgence',
        'agressivite', 'evaluation', 'autre')),
    precision TEXT,
    urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
    statut TEXT NOT NULL CHECK (statut IN ('en_attente', 'pris_en_charge', 'clos', 'annule')),
    demande_par INTEGER,
    demande_le TEXT NOT NULL,
    pris_par INTEGER,
    pris_le TEXT,
    clos_le TEXT,
    issue TEXT CHECK (issue IN ('conseil', 'entretien', 'rendez_vous', 'orientation', 'sans_suite')),
    version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (departement_id, id),
    CHECK (statut = 'en_attente' OR statut = 'annule' OR (pris_par IS NOT NULL AND pris_le IS NOT NULL)),
    CHECK (statut <> 'clos' OR (issue IS NOT NULL AND clos_le IS NOT NULL)),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, contact_id) REFERENCES accueil_contacts(departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, demande_par) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, pris_par) REFERENCES agents(departement_id, id)
);
CREATE INDEX appui_demandes_site ON appui_demandes (departement_id, site_id, statut, demande_le);
CREATE INDEX appui_demandes_personne ON appui_demandes (departement_id, personne_id);

-- Duty roster of a site: per day and half-day, the TS de premier accueil and the TS de permanence
-- d'urgence. One agent per (site, day, half-day, role).
CREATE TABLE tableau_permanence (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    jour TEXT NOT NULL,
    demi_journee TEXT NOT NULL CHECK (demi_journee IN ('matin', 'apres_midi')),
    role TEXT NOT NULL CHECK (role IN ('premier_accueil', 'urgence')),
    agent_id INTEGER NOT NULL,
    updated_by INTEGER,
    updated_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, site_id, jour, demi_journee, role),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id)
);
CREATE INDEX tableau_permanence_agent ON tableau_permanence (departement_id, agent_id, jour);
