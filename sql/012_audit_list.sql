-- Issue #19: the audit log names the list a document went out through (RFC 4662: the RLS
-- subscribed to the presentity on a list watcher's behalf); NULL for a direct subscription.
-- The watcher column stays the list watcher (or anonymous), as presence_authz decided for.
-- A row's subscription (sql/007) is the first 128 bits of SHA-256 over the dialog's Call-ID,
-- From-tag and To-tag, each NUL-terminated (audit_subscription_id, audit_log.c); a back-end
-- subscription of the RLS is pua's dialog, whose pres_id names the list dialog
-- ("callid;from_tag;to_tag" of rls_watchers). The row finds its list when it is written,
-- through an index on the same hash of pua's dialogs, so the audit writer stays as it is.
ALTER TABLE presec_presence_audit ADD COLUMN list_uri TEXT;

CREATE FUNCTION presec_dialog_id(call_id text, from_tag text, to_tag text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT left(encode(sha256(textsend(call_id) || '\x00'::bytea || textsend(from_tag)
                            || '\x00'::bytea || textsend(to_tag) || '\x00'::bytea), 'hex'), 32)
$$;
CREATE INDEX presec_pua_dialog_id_idx ON pua (presec_dialog_id(call_id, from_tag, to_tag));

CREATE FUNCTION presec_audit_list_uri() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.list_uri IS NULL AND NEW.subscription IS NOT NULL THEN
    SELECT w.presentity_uri INTO NEW.list_uri
      FROM pua p JOIN rls_watchers w
        ON w.callid = split_part(p.pres_id, ';', 1)
       AND w.from_tag = split_part(p.pres_id, ';', 2)
       AND w.to_tag = split_part(p.pres_id, ';', 3)
     WHERE presec_dialog_id(p.call_id, p.from_tag, p.to_tag) = NEW.subscription
     LIMIT 1;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER presec_audit_list_uri BEFORE INSERT ON presec_presence_audit
  FOR EACH ROW EXECUTE FUNCTION presec_audit_list_uri();
