-- Issue 14, secret partagé by team: a dossier is followed by a team — a service in one site (MDS),
-- or a whole service when site_id is NULL (central services) — not by a whole directorate; an écrit
-- or a document « Mon équipe » is read by the author's service in the author's site.
-- SQLite flavour; the PostgreSQL one beside it has the same columns.

ALTER TABLE dossier_services ADD COLUMN site_id INTEGER REFERENCES sites(id);
ALTER TABLE ecrits ADD COLUMN site_id INTEGER REFERENCES sites(id);
ALTER TABLE documents ADD COLUMN site_id INTEGER REFERENCES sites(id);

-- Existing follows: the team of the current référent of that service, else of the agent who opened
-- the dossier when they work in that service. A follow left without a site is département-wide,
-- which is right for the central services (CRIP, placement) whose agents have no site.
UPDATE dossier_services SET site_id = COALESCE(
    (SELECT MIN(f.site_id) FROM dossier_referents r
       JOIN affectations f ON f.departement_id = r.departement_id AND f.agent_id = r.agent_id AND f.fin IS NULL
      WHERE r.departement_id = dossier_services.departement_id AND r.dossier_id = dossier_services.dossier_id
        AND r.service_id = dossier_services.service_id AND r.jusqu_au IS NULL),
    (SELECT MIN(f.site_id) FROM dossiers d
       JOIN agents a ON a.departement_id = d.departement_id AND a.id = d.created_by
       JOIN affectations f ON f.departement_id = a.departement_id AND f.agent_id = a.id AND f.fin IS NULL
      WHERE d.departement_id = dossier_services.departement_id AND d.id = dossier_services.dossier_id
        AND a.service_id = dossier_services.service_id));

-- Existing écrits and documents: the author's current site.
UPDATE ecrits SET site_id = (SELECT MIN(f.site_id) FROM affectations f
    WHERE f.departement_id = ecrits.departement_id AND f.agent_id = ecrits.auteur_id AND f.fin IS NULL);
UPDATE documents SET site_id = (SELECT MIN(f.site_id) FROM affectations f
    WHERE f.departement_id = documents.departement_id AND f.agent_id = documents.auteur_id AND f.fin IS NULL);

-- Pieces of a person's file that an access export could not include because the exporting agent may
-- not read them: the cadres of the team that holds them examine them (issue 14, defect 2).
CREATE TABLE rgpd_transmissions (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    service_id INTEGER,
    site_id INTEGER,
    -- JSON arrays of ids.
    ecrits TEXT NOT NULL,
    documents TEXT NOT NULL,
    demandee_par INTEGER,
    created_at TEXT NOT NULL,
    traitee_le TEXT,
    traitee_par INTEGER,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, service_id) REFERENCES services(departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, demandee_par) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, traitee_par) REFERENCES agents(departement_id, id)
);
CREATE INDEX rgpd_transmissions_equipe ON rgpd_transmissions (departement_id, service_id, traitee_le);
