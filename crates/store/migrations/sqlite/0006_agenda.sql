-- Agendas and appointments (capability 3). SQLite flavour; the PostgreSQL flavour beside it has the same tables.
-- Civil times of the département (appointments, absences, sessions) are `YYYY-MM-DDTHH:MM` text, which
-- sorts and compares as text; plages are a day of the week (1 = Monday) and minutes after midnight;
-- reminder times and record stamps are UTC RFC 3339 like everywhere else.

-- One row per agent with an agenda: the hash of the secret of the iCal feed (revocable) and a version
-- bumped by every booking, whose row lock serialises the bookings of one agent on PostgreSQL.
CREATE TABLE agendas (
    departement_id TEXT NOT NULL REFERENCES departements(id),
    agent_id INTEGER NOT NULL,
    ical_hash TEXT,
    ical_created_at TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (departement_id, agent_id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id)
);
CREATE UNIQUE INDEX agendas_ical ON agendas (ical_hash);

-- Rooms of a site; `version` plays the same serialising role for room bookings.
CREATE TABLE agenda_salles (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    nom TEXT NOT NULL,
    capacite INTEGER NOT NULL CHECK (capacite > 0),
    version INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, site_id, nom),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id)
);

CREATE TABLE agenda_plages (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    agent_id INTEGER NOT NULL,
    jour INTEGER NOT NULL CHECK (jour BETWEEN 1 AND 7),
    debut INTEGER NOT NULL CHECK (debut >= 0 AND debut < 1440),
    fin INTEGER NOT NULL CHECK (fin > debut AND fin <= 1440),
    nature TEXT NOT NULL CHECK (nature IN ('rendez_vous', 'plas', 'permanence')),
    site_id INTEGER NOT NULL,
    permanence_id INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, permanence_id) REFERENCES permanences(departement_id, id)
);
CREATE INDEX agenda_plages_agent ON agenda_plages (departement_id, agent_id);
CREATE INDEX agenda_plages_site ON agenda_plages (departement_id, site_id);

CREATE TABLE agenda_absences (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    agent_id INTEGER NOT NULL,
    debut TEXT NOT NULL,
    fin TEXT NOT NULL,
    libelle TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    CHECK (fin > debut),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id)
);
CREATE INDEX agenda_absences_agent ON agenda_absences (departement_id, agent_id, fin);

-- Waiting list: a request for an appointment that could not be given at once.
CREATE TABLE agenda_attente (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    motif TEXT,
    demande_le TEXT NOT NULL,
    -- en_attente → planifie (an appointment was booked) or retire
    statut TEXT NOT NULL CHECK (statut IN ('en_attente', 'planifie', 'retire')),
    rendez_vous_id INTEGER,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id)
);
CREATE INDEX agenda_attente_site ON agenda_attente (departement_id, site_id, statut, demande_le);

CREATE TABLE rendez_vous (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    personne_id INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('premier_accueil', 'suivi', 'rsa', 'visite_domicile', 'telephonique')),
    statut TEXT NOT NULL CHECK (statut IN ('prevu', 'honore', 'excuse', 'absent', 'annule')),
    debut TEXT NOT NULL,
    fin TEXT NOT NULL,
    nature TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    permanence_id INTEGER,
    salle_id INTEGER,
    objet TEXT,
    demande_le TEXT NOT NULL,
    attente_id INTEGER,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    CHECK (fin > debut),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id),
    FOREIGN KEY (departement_id, agent_id) REFERENCES agents(departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, permanence_id) REFERENCES permanences(departement_id, id),
    FOREIGN KEY (departement_id, salle_id) REFERENCES agenda_salles(departement_id, id),
    FOREIGN KEY (departement_id, attente_id) REFERENCES agenda_attente(departement_id, id)
);
CREATE INDEX rendez_vous_agent ON rendez_vous (departement_id, agent_id, debut);
CREATE INDEX rendez_vous_salle ON rendez_vous (departement_id, salle_id, debut);
CREATE INDEX rendez_vous_site ON rendez_vous (departement_id, site_id, debut);
CREATE INDEX rendez_vous_personne ON rendez_vous (departement_id, personne_id);
-- Backstop of the overlap check: never two live appointments of one agent starting together.
CREATE UNIQUE INDEX rendez_vous_agent_debut ON rendez_vous (departement_id, agent_id, debut) WHERE statut IN ('prevu', 'honore');

-- Collective sessions (actions collectives, ISIC) with a capacity; `inscrits` is bumped with a
-- condition (inscrits < capacite), which cannot overbook on either backend.
CREATE TABLE agenda_sessions (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    titre TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    salle_id INTEGER,
    animateur_id INTEGER NOT NULL,
    debut TEXT NOT NULL,
    fin TEXT NOT NULL,
    capacite INTEGER NOT NULL CHECK (capacite > 0),
    inscrits INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    CHECK (inscrits >= 0 AND inscrits <= capacite),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, salle_id) REFERENCES agenda_salles(departement_id, id),
    FOREIGN KEY (departement_id, animateur_id) REFERENCES agents(departement_id, id)
);
CREATE INDEX agenda_sessions_animateur ON agenda_sessions (departement_id, animateur_id, debut);
CREATE INDEX agenda_sessions_salle ON agenda_sessions (departement_id, salle_id, debut);

CREATE TABLE agenda_participants (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    session_id INTEGER NOT NULL,
    personne_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, session_id, personne_id),
    FOREIGN KEY (departement_id, session_id) REFERENCES agenda_sessions(departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);

-- Reminders: one per channel and appointment, sent by the job `agenda.rappel` at `envoyer_le`; the
-- address is read from the person's record when sending, never copied here.
CREATE TABLE agenda_rappels (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    rendez_vous_id INTEGER NOT NULL,
    canal TEXT NOT NULL CHECK (canal IN ('email', 'sms')),
    envoyer_le TEXT NOT NULL,
    statut TEXT NOT NULL CHECK (statut IN ('prevu', 'envoye', 'annule')),
    job_id INTEGER,
    envoye_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (departement_id, rendez_vous_id, canal),
    FOREIGN KEY (departement_id, rendez_vous_id) REFERENCES rendez_vous(departement_id, id)
);

-- Outbox of the built-in SMS provider: a real provider (an HTTP API) implements the same interface.
CREATE TABLE sms_sortants (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    destinataire TEXT NOT NULL,
    texte TEXT NOT NULL,
    rappel_id INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id)
);
