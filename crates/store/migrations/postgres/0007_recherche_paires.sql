-- Pair index of the search of people (see store::personnes::search): one row per key a person is
-- found under — each name token alone, and for each surname token (birth or usage name) and each
-- given-name token both pairs « nom prénom » and « prénom nom », and both pairs of their phonetic
-- keys (« #K1 K2 ») — with the person's search key `tri` (personnes.nom_recherche), so that:
-- a word typed exactly gives its people in the order of the results (name, id) from one index range,
-- and two words are one or two index ranges instead of checking every person of the commonest one.
-- Written with the tokens of personne_noms (store::personnes::index_noms, unindex_noms).
-- PostgreSQL flavour.

CREATE TABLE personne_paires (
    departement_id TEXT NOT NULL,
    personne_id BIGINT NOT NULL,
    -- A token, « token token » or « #phonetique phonetique » (see domain::personnes::cles_index),
    -- compared as bytes (the "C" collation, whatever the collation of the database).
    cle TEXT COLLATE "C" NOT NULL,
    -- personnes.nom_recherche of the person for a token alone, for the order of the results; empty
    -- for a pair (the pairs are ranked after reading, and the key is enough to find them).
    tri TEXT NOT NULL,
    PRIMARY KEY (departement_id, personne_id, cle),
    FOREIGN KEY (departement_id, personne_id) REFERENCES personnes(departement_id, id)
);
-- personne_id in the index: the search reads it alone (index-only scans). `tri` has the collation
-- of personnes.nom_recherche, so that the index order is the order of the results.
CREATE INDEX personne_paires_cle ON personne_paires (departement_id, cle, tri, personne_id);

-- Existing people: their tokens alone (the 'ancien' ones too: index_noms_anciens rewrites them), and
-- the pairs of their tokens by kind.
INSERT INTO personne_paires (departement_id, personne_id, cle, tri)
SELECT n.departement_id, n.personne_id, n.token, p.nom_recherche
FROM personne_noms n JOIN personnes p ON p.departement_id = n.departement_id AND p.id = n.personne_id
UNION
SELECT a.departement_id, a.personne_id, a.token || ' ' || b.token, ''
FROM personne_noms a
JOIN personne_noms b ON b.departement_id = a.departement_id AND b.personne_id = a.personne_id
WHERE (a.kind IN ('naissance', 'usage') AND b.kind = 'prenom')
   OR (a.kind = 'prenom' AND b.kind IN ('naissance', 'usage'))
UNION
SELECT a.departement_id, a.personne_id, '#' || a.phonetique || ' ' || b.phonetique, ''
FROM personne_noms a
JOIN personne_noms b ON b.departement_id = a.departement_id AND b.personne_id = a.personne_id
WHERE ((a.kind IN ('naissance', 'usage') AND b.kind = 'prenom')
   OR (a.kind = 'prenom' AND b.kind IN ('naissance', 'usage')))
  AND a.phonetique <> '' AND b.phonetique <> '';
