-- The sites a service account may act on (issue 14 « Confiance »): a token reaches only the sites
-- chosen by the administrator when it was created; a token with none is refused every action bound
-- to a site (booking, desk log, free slots), never given « everything ». PostgreSQL flavour; keys
-- include the tenant.
CREATE TABLE api_token_sites (
    departement_id TEXT NOT NULL REFERENCES departements(id),
    token_id BIGINT NOT NULL,
    site_id BIGINT NOT NULL,
    PRIMARY KEY (departement_id, token_id, site_id),
    FOREIGN KEY (departement_id, token_id) REFERENCES api_tokens(departement_id, id),
    FOREIGN KEY (departement_id, site_id) REFERENCES sites(departement_id, id)
);
