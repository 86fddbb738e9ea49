-- GBA at the Ut (TS 24.109 5.2, TS 33.222 5.3) and at the Authentication Proxy (TS 33.222 6):
-- which authentication methods each user may use at the Ut, and the AP's place on Zn.
--
-- The PS's Ut takes both GBA Digest (username = B-TID, password = Ks_NAF, modules/bsf role
-- naf) and Digest against the Ut password (presec_ut_credential, sql/006). A row here limits a
-- user to the methods it lists; a user without a row may use the methods the NAF's
-- unlisted_methods parameter names (modules/bsf README; by default both). The identity is the
-- XUI the request acts for, as the Ut compares it: sip:user@domain (for GBA the IMPU asserted
-- from X-3GPP-Intended-Identity or the default one).
CREATE TABLE presec_ut_auth_method (
  xui      text PRIMARY KEY CHECK (xui ~ '^sip:[^@\s]+@[A-Za-z0-9.-]+$'),
  methods  text[] NOT NULL CHECK (methods <@ ARRAY['gba', 'password']::text[]),
  changed  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON presec_ut_auth_method FROM PUBLIC;

-- The Authentication Proxy (cfg-examples/ut-ap/): nginx in front of the PS, whose GBA check
-- is a Kamailio endpoint with the bsf module in role naf. It answers for the same NAF as the
-- PS's Ut (the UE addresses the AP as xcap.ims.example), with a login of its own.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'presec_ap') THEN
    CREATE ROLE presec_ap NOLOGIN;
  END IF;
END
$$;
INSERT INTO presec_gba_naf (naf_fqdn, db_role) VALUES ('xcap.ims.example', 'presec_ap');
GRANT EXECUTE ON FUNCTION presec_gba_zn(text, bytea) TO presec_ap;

GRANT SELECT ON presec_ut_auth_method TO presec_ps, presec_ap;
