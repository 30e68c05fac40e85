-- Search of people by name: one row per name token of a person (each name folded, and each part of a
-- composed name), with its French phonetic key. A typed word matches a token equal to it, starting
-- with it (a range on the token index) or sharing its phonetic key (the phonetique index). A person
-- without tokens (merged into another) is not found at all. PostgreSQL flavour.

CREATE TABLE personne_noms (
    departement_id TEXT NOT NULL,
    personne_id BIGINT NOT NULL,
    -- Lower-case ASCII letters and digits (see domain::personnes::fold), compared as bytes: the "C"
    -- collation makes the prefix range `token >= $t AND token < $u` one index range, whatever the
    -- collation of the database.
    token TEXT COLLATE "C" NOT NULL,
    -- Empty when unknown (rows backfilled below) or when the token has no letter.
    phonetique TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('naissance', 'usage', 'prenom', 'ancien')),
    PRIMARY KEY (departement_id, personne_id, token),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
-- personne_id in both indexes: the search reads them alone (index-only scans).
CREATE INDEX personne_noms_token ON personne_noms (departement_id, token, personne_id);
CREATE INDEX personne_noms_phonetique ON personne_noms (departement_id, phonetique, token, personne_id);

-- Existing people: the words of their search key (each name folded), without phonetic key, marked
-- 'ancien'. They are found by name and prefix at once; `store::personnes::index_noms_anciens`
-- (or any correction of the person) replaces these rows with the complete tokens.
WITH RECURSIVE mots(departement_id, personne_id, token, reste) AS (
    SELECT departement_id, id, ''::text, nom_recherche || ' ' FROM personnes
    UNION ALL
    SELECT departement_id, personne_id, substr(reste, 1, strpos(reste, ' ') - 1),
           substr(reste, strpos(reste, ' ') + 1)
    FROM mots WHERE reste <> ''
)
INSERT INTO personne_noms (departement_id, personne_id, token, phonetique, kind)
SELECT DISTINCT departement_id, personne_id, token, '', 'ancien' FROM mots WHERE token <> '';
