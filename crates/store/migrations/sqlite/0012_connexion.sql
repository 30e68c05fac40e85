-- Pending OpenID Connect sign-ins, held in the database so that a flow may end on any server, and bound
-- to the browser that started it: the callback must present the cookie whose SHA-256 is `binding_hash`.
-- Single use (the callback deletes the row), ten minutes at most (`created_at`). The state is stored
-- hashed; the nonce and the PKCE verifier are needed in clear to finish the flow.
CREATE TABLE oidc_flows (
    state_hash TEXT PRIMARY KEY,
    binding_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    suite TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX oidc_flows_created_at ON oidc_flows (created_at);
