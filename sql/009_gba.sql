-- GBA (TS 33.220): the BSF's bootstrapped keys and Zn, the way a NAF obtains its key.
--
-- The BSF (modules/bsf) bootstraps a UE over Ub with AKA against the same subscribers and
-- sequence numbers as the S-CSCF (sql/002) and keeps, per IMPI, one bootstrap: the B-TID, RAND,
-- Ks = CK || IK and its expiry. Nobody but the BSF reads Ks. A NAF (the PS's Ut, an
-- Authentication Proxy) never sees Ks: Zn is presec_gba_zn(), which derives Ks_NAF for the
-- NAF_Id the NAF names (TS 33.220 B.3, HMAC-SHA-256 with pgcrypto) and answers only a NAF whose
-- database role the allow-list names for that NAF's FQDN (TS 33.220 4.5.3: the BSF checks that
-- the NAF is authorised; TS 29.109 Zn).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'presec_bsf') THEN
    CREATE ROLE presec_bsf NOLOGIN;
  END IF;
END
$$;

-- The BSF takes authentication vectors as the S-CSCF does (TS 33.220 4.5.2 Zh; here the HSS's
-- tables themselves): K, OPc, AMF and SQN, which only moves forward.
GRANT SELECT (impi, k, opc, amf, sqn) ON ims_subscriber TO presec_bsf;
GRANT UPDATE (sqn) ON ims_subscriber TO presec_bsf;

-- TS 33.220 4.5.2: one bootstrap per IMPI; a new one replaces the old (UNIQUE impi, upserted by
-- the BSF); gone with its subscriber.
CREATE TABLE presec_gba_bootstrap (
  -- B-TID = base64(RAND)@BSF server name
  btid     text PRIMARY KEY CHECK (btid ~ '^[A-Za-z0-9+/]{21}[AQgw]==@[A-Za-z0-9.-]{1,253}$'),
  impi     text NOT NULL UNIQUE REFERENCES ims_subscriber(impi) ON DELETE CASCADE,
  rand     bytea NOT NULL CHECK (length(rand) = 16),
  ks       bytea NOT NULL CHECK (length(ks) = 32),
  created  timestamptz NOT NULL DEFAULT now(),
  expires  timestamptz NOT NULL,
  CHECK (expires > created)
);
CREATE INDEX presec_gba_bootstrap_expires ON presec_gba_bootstrap (expires);
REVOKE ALL ON presec_gba_bootstrap FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON presec_gba_bootstrap TO presec_bsf;

-- The NAFs Zn answers: a NAF's FQDN (the FQDN part of the NAF_Id it asks for) and the group
-- role whose members are that NAF. A NAF may be served by several roles (the PS's Ut and an
-- Authentication Proxy in front of it answer for the same FQDN), a role may be several NAFs.
CREATE TABLE presec_gba_naf (
  naf_fqdn  text NOT NULL CHECK (naf_fqdn ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
  db_role   name NOT NULL,
  PRIMARY KEY (naf_fqdn, db_role)
);
REVOKE ALL ON presec_gba_naf FROM PUBLIC;
-- the reference topology: the PS's Ut (cfg-examples/include/ut.cfg) is the NAF xcap.ims.example
INSERT INTO presec_gba_naf (naf_fqdn, db_role) VALUES ('xcap.ims.example', 'presec_ps');

-- TS 33.220 B.2.1: a parameter's length in two octets, most significant first.
CREATE FUNCTION presec_gba_len2(n integer) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT decode(lpad(to_hex(n), 4, '0'), 'hex')
$$;

-- TS 33.220 B.3: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) = HMAC-SHA-256(Ks, S) with
-- S = 0x01 || "gba-me" || 0x00 0x06 || RAND || 0x00 0x10 || IMPI || L2 || NAF_Id || L3.
CREATE FUNCTION presec_gba_ks_naf(p_ks bytea, p_rand bytea, p_impi text, p_naf_id bytea)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, public AS $$
  SELECT hmac('\x01'::bytea || convert_to('gba-me', 'UTF8') || presec_gba_len2(6)
              || p_rand || presec_gba_len2(length(p_rand))
              || convert_to(p_impi, 'UTF8') || presec_gba_len2(octet_length(p_impi))
              || p_naf_id || presec_gba_len2(length(p_naf_id)),
              p_ks, 'sha256')
$$;
REVOKE ALL ON FUNCTION presec_gba_ks_naf(bytea, bytea, text, bytea) FROM PUBLIC;

-- Zn (TS 33.220 4.5.3, TS 29.109): for a B-TID and the NAF_Id = FQDN || Ua security protocol
-- identifier (TS 33.220 Annex H, five octets) the NAF names, the NAF's key Ks_NAF, the IMPI,
-- the user's IMPUs in order (position 0 is the default IMPU) and when the key expires.
-- status says why there is no key:
--   ok               ks_naf, impi, impus, expires are set
--   naf-not-allowed  the caller's role is not on the allow-list for that FQDN
--   bad-naf-id       the NAF_Id is not an FQDN followed by five octets
--   bad-btid         the B-TID is not base64(RAND)@host
--   unknown          no such B-TID (never issued, forged, or replaced by a newer bootstrap)
--   expired          the bootstrap's lifetime is over (the UE bootstraps again)
-- Every refusal is one line in the server log (LOG) naming the caller's role and address;
-- no key is ever logged. SECURITY DEFINER: the caller reads nothing of the table itself.
CREATE FUNCTION presec_gba_zn(p_btid text, p_naf_id bytea)
RETURNS TABLE (status text, ks_naf bytea, impi text, impus text[], expires timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  fqdn text;
  b presec_gba_bootstrap%ROWTYPE;
  caller text := session_user::text || ' from ' || coalesce(host(inet_client_addr()), 'local');
BEGIN
  IF p_naf_id IS NULL OR length(p_naf_id) < 6 OR length(p_naf_id) > 258 THEN
    RAISE LOG 'presec Zn: % refused: NAF_Id is not an FQDN and a Ua security protocol identifier', caller;
    RETURN QUERY SELECT 'bad-naf-id'::text, NULL::bytea, NULL::text, NULL::text[], NULL::timestamptz;
    RETURN;
  END IF;
  BEGIN
    fqdn := convert_from(substring(p_naf_id FROM 1 FOR length(p_naf_id) - 5), 'UTF8');
  EXCEPTION WHEN OTHERS THEN
    fqdn := NULL;
  END;
  IF fqdn IS NULL OR fqdn !~ '^[A-Za-z0-9.-]+$' THEN
    RAISE LOG 'presec Zn: % refused: NAF_Id is not an FQDN and a Ua security protocol identifier', caller;
    RETURN QUERY SELECT 'bad-naf-id'::text, NULL::bytea, NULL::text, NULL::text[], NULL::timestamptz;
    RETURN;
  END IF;
  -- TS 33.220 4.5.3: the BSF answers a NAF only for its own NAF_Id
  IF NOT EXISTS (SELECT 1 FROM presec_gba_naf n
                 WHERE n.naf_fqdn = lower(fqdn)
                   AND pg_has_role(session_user, n.db_role, 'MEMBER')) THEN
    RAISE LOG 'presec Zn: % refused: not on the allow-list for NAF %', caller, fqdn;
    RETURN QUERY SELECT 'naf-not-allowed'::text, NULL::bytea, NULL::text, NULL::text[], NULL::timestamptz;
    RETURN;
  END IF;
  IF p_btid IS NULL OR p_btid !~ '^[A-Za-z0-9+/]{21}[AQgw]==@[A-Za-z0-9.-]{1,253}$' THEN
    RAISE LOG 'presec Zn: % for NAF % refused: not a B-TID', caller, fqdn;
    RETURN QUERY SELECT 'bad-btid'::text, NULL::bytea, NULL::text, NULL::text[], NULL::timestamptz;
    RETURN;
  END IF;
  SELECT * INTO b FROM presec_gba_bootstrap g WHERE g.btid = p_btid;
  IF NOT FOUND THEN
    RAISE LOG 'presec Zn: % for NAF % refused: unknown B-TID %', caller, fqdn, p_btid;
    RETURN QUERY SELECT 'unknown'::text, NULL::bytea, NULL::text, NULL::text[], NULL::timestamptz;
    RETURN;
  END IF;
  IF b.expires <= now() THEN
    RAISE LOG 'presec Zn: % for NAF % refused: B-TID % of % expired at %', caller, fqdn, p_btid, b.impi, b.expires;
    RETURN QUERY SELECT 'expired'::text, NULL::bytea, NULL::text, NULL::text[], NULL::timestamptz;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT 'ok'::text, presec_gba_ks_naf(b.ks, b.rand, b.impi, p_naf_id), b.impi,
           coalesce((SELECT array_agg(i.impu ORDER BY i.position) FROM ims_impu i
                     WHERE i.impi = b.impi), '{}'::text[]),
           b.expires;
END
$$;
REVOKE ALL ON FUNCTION presec_gba_zn(text, bytea) FROM PUBLIC;
-- the NAF roles of the reference topology
GRANT EXECUTE ON FUNCTION presec_gba_zn(text, bytea) TO presec_ps;

-- Expired bootstraps go (the BSF calls this on a timer, see modules/bsf/README); returns how
-- many went.
CREATE FUNCTION presec_gba_purge() RETURNS integer
LANGUAGE sql VOLATILE AS $$
  WITH gone AS (DELETE FROM presec_gba_bootstrap WHERE expires <= now() RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
REVOKE ALL ON FUNCTION presec_gba_purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION presec_gba_purge() TO presec_bsf;
