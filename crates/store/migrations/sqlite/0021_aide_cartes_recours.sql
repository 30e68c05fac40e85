-- Financial aids (issue 20), continued: the register of prepaid payment cards (seed 000), the
-- outcome of a recourse against a decision, and the eviction procedure a request answers.

-- A card is held by a person of Parcours (a young person of the ASE, a beneficiary) or by a foster
-- carer (assistant familial) who receives the pocket money and clothing of the children in her
-- care. `statut`: a_emettre (asked, the provider not yet reached), active, bloquee, refusee (the
-- provider refused the issuance). `reference` is the provider's, known once issued; `cle` is the
-- idempotency key of the issuance (`{département}-carte-{id}`, set once the id is known), so that a
-- retry never makes two cards. A block takes effect in
-- Parcours at once (no load is sent), and `blocage_transmis` says whether the provider knows it.
CREATE TABLE aide_cartes (
    id INTEGER PRIMARY KEY,
    departement_id TEXT NOT NULL REFERENCES departements(id),
    site_id INTEGER NOT NULL,
    cle TEXT,
    titulaire_type TEXT NOT NULL CHECK (titulaire_type IN ('personne', 'assistant_familial')),
    personne_id INTEGER,
    titulaire_nom TEXT NOT NULL,
    -- The holder's name folded as the search of people folds names (accents, case, spaces).
    titulaire_recherche TEXT NOT NULL DEFAULT '',
    agrement TEXT,
    statut TEXT NOT NULL CHECK (statut IN ('a_emettre', 'active', 'bloquee', 'refusee')),
    reference TEXT,
    demandee_le TEXT NOT NULL,
    demandee_par INTEGER,
    emise_le TEXT,
    bloquee_le TEXT,
    bloquee_par INTEGER,
    motif_blocage TEXT,
    blocage_transmis INTEGER NOT NULL DEFAULT 0,
    tentatives INTEGER NOT NULL DEFAULT 0,
    derniere_erreur TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (departement_id, id),
    UNIQUE (cle),
    UNIQUE (departement_id, reference),
    CHECK ((titulaire_type = 'personne') = (personne_id IS NOT NULL)),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
CREATE INDEX aide_cartes_personne ON aide_cartes (departement_id, personne_id);
CREATE INDEX aide_cartes_statut ON aide_cartes (departement_id, statut);
-- What was loaded on a card (its page, the register's « chargé » column) is read by its reference.
CREATE INDEX aide_ordres_carte ON aide_ordres (departement_id, carte) WHERE carte IS NOT NULL;
-- One card in use at a time per holder: a lost card is blocked before another is asked.
CREATE UNIQUE INDEX aide_cartes_une_par_personne ON aide_cartes (departement_id, personne_id)
    WHERE statut IN ('a_emettre', 'active') AND personne_id IS NOT NULL;
CREATE UNIQUE INDEX aide_cartes_une_par_agrement ON aide_cartes (departement_id, agrement)
    WHERE statut IN ('a_emettre', 'active') AND agrement IS NOT NULL;

-- The outcome of a recourse: the decision maintained, or reformed (a refusal or a partial approval
-- turned into a larger approval); the initial decision is kept beside it.
ALTER TABLE aide_demandes ADD COLUMN recours_issue TEXT;
ALTER TABLE aide_demandes ADD COLUMN recours_decide_le TEXT;
ALTER TABLE aide_demandes ADD COLUMN recours_decide_par INTEGER;
ALTER TABLE aide_demandes ADD COLUMN recours_motivation TEXT;
ALTER TABLE aide_demandes ADD COLUMN sens_initial TEXT;
ALTER TABLE aide_demandes ADD COLUMN montant_initial BIGINT;
-- The eviction procedure (prévention des expulsions) an FSL request answers, when made from it.
ALTER TABLE aide_demandes ADD COLUMN procedure_id INTEGER;
