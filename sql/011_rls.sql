-- TS 33.141 / RFC 4662: the Presence List Server runs inside the PS (README topology). Kamailio's
-- rls and pua keep their state in their own tables (rls-create.sql, presence-create.sql's pua),
-- which the PS's login writes.
GRANT SELECT, INSERT, UPDATE, DELETE ON rls_presentity, rls_watchers, pua TO presec_ps;
GRANT USAGE, SELECT ON SEQUENCE rls_presentity_id_seq, rls_watchers_id_seq, pua_id_seq
  TO presec_ps;

-- RFC 4662 7.1: the RLS subscribes to each member on the watcher's behalf and asserts who that
-- watcher is. rls itself is only ever given an opaque handle, sip:<token>@rls.invalid, with
-- token = the HMAC of the owner and whether the list watcher is anonymous (presence_authz's
-- rls_handle_key): the handle alone says on whose behalf a back-end SUBSCRIBE is sent, whichever
-- process sends it (worker, pua timer, RPC), and presence_authz resolves it here before it
-- asserts the owner at tm:local-request. rls and pua tables hold tokens only.
CREATE TABLE presec_rls_handle (
    token VARCHAR(32) PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    domain VARCHAR(64) NOT NULL,
    anonymous BOOLEAN NOT NULL,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX presec_rls_handle_owner_idx ON presec_rls_handle (username, domain);
GRANT SELECT, INSERT ON presec_rls_handle TO presec_ps;

-- rls reads the watcher's rls-services (doc_type 8) and resource-lists (doc_type 4) by
-- username/domain = the watcher it was given: the handle. This view gives it the owner's own
-- documents under the handle, so a list and its <resource-list> references resolve only into
-- the owner's documents (the Ut keeps every document under its owner's XUI). rls checks the
-- version of its xcap_table at start-up (version 4, as xcap).
CREATE VIEW presec_rls_xcap AS
  SELECT x.id, h.token AS username, 'rls.invalid'::varchar(64) AS domain, x.doc, x.doc_type,
         x.etag, x.source, x.doc_uri, x.port
    FROM xcap x JOIN presec_rls_handle h ON h.username = x.username AND h.domain = x.domain
   WHERE x.doc_type IN (4, 8);
GRANT SELECT ON presec_rls_xcap TO presec_ps;
INSERT INTO version (table_name, table_version) VALUES ('presec_rls_xcap', 4);
