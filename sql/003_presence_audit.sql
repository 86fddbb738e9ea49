-- TS 33.141 (requirement 6): the presentity can see which watcher received which presence
-- information. presence_authz writes one row per NOTIFY body it produces for a watcher; the Ut
-- reference point reads a presentity's own rows. Rows are never updated.
CREATE TABLE presec_presence_audit (
  id           bigserial PRIMARY KEY,
  sent_at      timestamptz NOT NULL DEFAULT now(),
  presentity   text NOT NULL,
  -- the watcher as the PS knows it; for an anonymous watcher (Privacy: id) the RFC 3323
  -- anonymous URI: its real identity never reaches this table
  watcher      text NOT NULL,
  anonymous    boolean NOT NULL,
  sub_handling text NOT NULL CHECK (sub_handling IN ('allow', 'polite-block')),
  rules        text[] NOT NULL,       -- ids of the rules that matched
  document     text NOT NULL          -- exactly what the watcher received
);
CREATE INDEX presec_presence_audit_presentity_idx ON presec_presence_audit (presentity, sent_at);

-- the PS appends; nobody rewrites history
REVOKE ALL ON presec_presence_audit FROM PUBLIC;
GRANT INSERT, SELECT ON presec_presence_audit TO presec_ps;
GRANT USAGE ON SEQUENCE presec_presence_audit_id_seq TO presec_ps;
