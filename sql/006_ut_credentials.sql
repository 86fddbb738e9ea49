-- Ut reference point (TS 33.141 4.2): the credential a subscriber uses for HTTP Digest towards
-- the PS's XCAP server, apart from any SIP credential. Only HA1 = MD5(username:realm:password)
-- is stored (realm = the home domain), read by auth_db (www_authorize with this table).
CREATE TABLE IF NOT EXISTS presec_ut_credential (
  id       serial PRIMARY KEY,
  username varchar(64) NOT NULL,
  domain   varchar(64) NOT NULL,
  ha1      varchar(128) NOT NULL,
  UNIQUE (username, domain)
);
-- auth_db checks the version of every table it authenticates against (subscriber's layout, 7)
DELETE FROM version WHERE table_name = 'presec_ut_credential';
INSERT INTO version (table_name, table_version) VALUES ('presec_ut_credential', 7);

REVOKE ALL ON presec_ut_credential FROM PUBLIC;
GRANT SELECT ON presec_ut_credential TO presec_ps;
