-- The language in which the person needs an interpreter at the appointment (issue 16), so that the
-- MDS books one; empty when none is needed.
ALTER TABLE rendez_vous ADD COLUMN interprete TEXT;
