-- IMS AKA subscribers at the S-CSCF (the HSS part the reference topology needs): the IMPI with
-- its long-term secrets and sequence number, and its implicit registration set of IMPUs.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE ims_subscriber (
  -- TS 23.003 13.3: the IMPI is a NAI, user@realm
  impi        text PRIMARY KEY CHECK (impi ~ '^[A-Za-z0-9._+!~*-]+@[A-Za-z0-9._+!~*-]+$'),
  k           bytea NOT NULL CHECK (length(k) = 16),
  opc         bytea NOT NULL CHECK (length(opc) = 16),
  amf         bytea NOT NULL DEFAULT '\x8000'::bytea CHECK (length(amf) = 2),
  -- TS 33.102 C.3.2: SQN = SEQ || IND, 48 bits; the S-CSCF advances it once per vector
  sqn         bigint NOT NULL DEFAULT 0 CHECK (sqn >= 0 AND sqn < 281474976710656),
  algorithms  text[] NOT NULL DEFAULT '{AKAv1-MD5,AKAv2-MD5}'
              CHECK (algorithms <@ '{AKAv1-MD5,AKAv2-MD5}'::text[] AND cardinality(algorithms) > 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The implicit registration set (TS 23.228 5.2.1a): position 0 is the default IMPU.
CREATE TABLE ims_impu (
  impi      text NOT NULL REFERENCES ims_subscriber(impi) ON DELETE CASCADE,
  position  int NOT NULL CHECK (position >= 0),
  impu      text NOT NULL UNIQUE CHECK (impu ~ '^(sips?|tel):[^,<>" ]+$'),
  PRIMARY KEY (impi, position)
);

-- K and OPc are for the S-CSCF only; it may move SQN forward and nothing else.
REVOKE ALL ON ims_subscriber, ims_impu FROM PUBLIC;
GRANT SELECT ON ims_subscriber, ims_impu TO presec_scscf;
GRANT UPDATE (sqn) ON ims_subscriber TO presec_scscf;

-- Provisioning (run as the database owner): an IMPI, its IMPUs in order, K, and either OP (OPc is
-- derived as TS 35.206 4.1 says: OPc = OP xor E_K(OP)) or OPc. Hex strings for K, OP, OPc, AMF.
CREATE FUNCTION presec_provision_subscriber(p_impi text, p_impus text[], p_k text,
    p_op text DEFAULT NULL, p_opc text DEFAULT NULL, p_amf text DEFAULT '8000',
    p_sqn bigint DEFAULT 0, p_algorithms text[] DEFAULT '{AKAv1-MD5,AKAv2-MD5}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  k bytea := decode(p_k, 'hex');
  opc bytea;
  e bytea;
  i int;
BEGIN
  IF (p_op IS NULL) = (p_opc IS NULL) THEN
    RAISE EXCEPTION 'give exactly one of OP and OPc';
  END IF;
  IF p_opc IS NOT NULL THEN
    opc := decode(p_opc, 'hex');
  ELSE
    opc := decode(p_op, 'hex');
    IF length(opc) <> 16 OR length(k) <> 16 THEN
      RAISE EXCEPTION 'K and OP are 16 octets';
    END IF;
    e := encrypt(opc, k, 'aes-ecb/pad:none');
    FOR i IN 0..15 LOOP
      opc := set_byte(opc, i, get_byte(opc, i) # get_byte(e, i));
    END LOOP;
  END IF;
  INSERT INTO ims_subscriber (impi, k, opc, amf, sqn, algorithms)
    VALUES (p_impi, k, opc, decode(p_amf, 'hex'), p_sqn, p_algorithms)
    ON CONFLICT (impi) DO UPDATE SET k = EXCLUDED.k, opc = EXCLUDED.opc, amf = EXCLUDED.amf,
      sqn = EXCLUDED.sqn, algorithms = EXCLUDED.algorithms;
  DELETE FROM ims_impu WHERE impi = p_impi;
  FOR i IN 1..coalesce(array_length(p_impus, 1), 0) LOOP
    INSERT INTO ims_impu (impi, position, impu) VALUES (p_impi, i - 1, p_impus[i]);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION presec_provision_subscriber FROM PUBLIC;
