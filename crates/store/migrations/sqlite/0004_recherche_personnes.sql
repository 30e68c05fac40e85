-- Search of people by name: one row per name token of a person (each name folded, and each part of a
-- composed name), with its French phonetic key. A typed word matches a token equal to it, starting
-- with it (a range on the token index) or sharing its phonetic key (the phonetique index). A person
-- without tokens (merged into another) is not found at all. SQLite flavour.

CREATE TABLE personne_noms (
    departement_id TEXT NOT NULL,
    personne_id INTEGER NOT NULL,
    -- Lower-case ASCII letters and digits (see domain::personnes::fold), compared as bytes.
    token TEXT NOT NULL,
    -- Empty when unknown (rows backfilled below) or when the token has no letter.
    phonetique TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('naissance', 'usage', 'prenom', 'ancien')),
    PRIMARY KEY (departement_id, personne_id, token),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
) WITHOUT ROWID;
-- The primary key columns are part of every index of a WITHOUT ROWID table: both are covering.
CREATE INDEX personne_noms_token ON personne_noms (departement_id, token);
CREATE INDEX personne_noms_phonetique ON personne_noms (departement_id, phonetique, token);

-- Existing people: the words of their search key (each name folded), without phonetic key, marked
-- 'ancien'. They are found by name and prefix at once; `store::personnes::index_noms_anciens`
-- (or any correction of the person) replaces these rows with the complete tokens.
WITH RECURSIVE mots(departement_id, personne_id, token, reste) AS (
    SELECT departement_id, id, '', nom_recherche || ' ' FROM personnes
    UNION ALL
    SELECT departement_id, personne_id, substr(reste, 1, instr(reste, ' ') - 1),
           substr(reste, instr(reste, ' ') + 1)
    FROM mots WHERE reste <> ''
)
INSERT INTO personne_noms (departement_id, personne_id, token, phonetique, kind)
SELECT DISTINCT departement_id, personne_id, token, '', 'ancien' FROM mots WHERE token <> '';
