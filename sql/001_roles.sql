-- Group roles, one per Kamailio role of the reference topology. Operators create login roles
-- IN ROLE one of these; privileges are granted only here, so each role reads only what it needs
-- (DESIGN.md, Conventions: secrets readable only by the roles that need them).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'presec_pcscf') THEN
    CREATE ROLE presec_pcscf NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'presec_scscf') THEN
    CREATE ROLE presec_scscf NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'presec_ps') THEN
    CREATE ROLE presec_ps NOLOGIN;
  END IF;
END
$$;

-- Every Kamailio module checks its tables' versions at start-up.
GRANT SELECT ON version TO presec_pcscf, presec_scscf, presec_ps;

-- S-CSCF: registrar/usrloc state and (until ims_aka replaces it) auth_db digest credentials.
GRANT SELECT, INSERT, UPDATE, DELETE ON location, location_attrs TO presec_scscf;
GRANT USAGE, SELECT ON SEQUENCE location_id_seq, location_attrs_id_seq TO presec_scscf;
GRANT SELECT ON subscriber TO presec_scscf;

-- PS: presence state and the XCAP documents (pres-rules) the presentity manages over Ut.
GRANT SELECT, INSERT, UPDATE, DELETE ON presentity, active_watchers, watchers, xcap TO presec_ps;
GRANT USAGE, SELECT ON SEQUENCE presentity_id_seq, active_watchers_id_seq, watchers_id_seq,
  xcap_id_seq TO presec_ps;
-- The stock PS authenticates Ut (XCAP) requests with digest against the subscriber table.
GRANT SELECT ON subscriber TO presec_ps;
