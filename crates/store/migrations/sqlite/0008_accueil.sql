-- Desk log (« main courante de l'accueil »). SQLite flavour; same schema as PostgreSQL.
-- `moment` is a civil time of the département (`YYYY-MM-DDTHH:MM`, sorts as text); a contact happens at
-- a site (MDS) or at one of its permanences; the person is optional (anonymous contact).
CREATE TABLE accueil_contacts (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    permanence_id INTEGER,
    agent_id INTEGER,
    personne_id INTEGER,
    canal TEXT NOT NULL CHECK (canal IN ('visite', 'telephone', 'courrier', 'courriel')),
    moment TEXT NOT NULL,
    typologie TEXT NOT NULL CHECK (typologie IN ('financier', 'acces_droits', 'logement',
        'famille_enfance', 'insertion_emploi', 'sante', 'autonomie', 'administratif', 'autre')),
    reponse TEXT NOT NULL CHECK (reponse IN ('information', 'aide_administrative', 'orientation',
        'rendez_vous', 'urgence', 'appui_technique')),
    partenaire TEXT,
    attente_minutes INTEGER CHECK (attente_minutes >= 0),
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    CHECK (reponse <> 'orientation' OR partenaire IS NOT NULL),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, permanence_id) REFERENCES permanences(departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
CREATE INDEX accueil_contacts_site_moment ON accueil_contacts (departement_id, site_id, moment);
CREATE INDEX accueil_contacts_personne ON accueil_contacts (departement_id, personne_id);
