-- Several PS instances on one database (TS 33.141: the presentity's rules apply wherever the
-- watcher's subscription lives). Every change of a pres-rules (doc_type 2) or resource-lists
-- (doc_type 4, OMA external-list) document in Kamailio's xcap table is recorded here and
-- announced on the presec_rules channel as "<id> <user>@<domain>". Every presence_authz instance
-- LISTENs and drops its cached policy; the one instance that claims the row (claimed_by) then
-- re-evaluates the presentity's subscriptions and re-sends the documents, so watchers get one
-- NOTIFY, not one per instance (with subs_db_mode 3 every instance sees every subscription).
CREATE TABLE IF NOT EXISTS presec_rules_changes (
  id          bigserial PRIMARY KEY,
  presentity  text NOT NULL,            -- user@domain
  changed_at  timestamptz NOT NULL DEFAULT now(),
  claimed_by  text,                     -- the instance that re-evaluated
  claimed_at  timestamptz
);

CREATE OR REPLACE FUNCTION presec_rules_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  who text;
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.doc_type NOT IN (2, 4) THEN RETURN NULL; END IF;
    who := OLD.username || '@' || OLD.domain;
  ELSE
    IF NEW.doc_type NOT IN (2, 4) THEN RETURN NULL; END IF;
    who := NEW.username || '@' || NEW.domain;
  END IF;
  INSERT INTO presec_rules_changes (presentity) VALUES (who) RETURNING id INTO change_id;
  PERFORM pg_notify('presec_rules', change_id || ' ' || who);
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS presec_rules_changed ON xcap;
CREATE TRIGGER presec_rules_changed AFTER INSERT OR UPDATE OR DELETE ON xcap
  FOR EACH ROW EXECUTE FUNCTION presec_rules_changed();

REVOKE ALL ON presec_rules_changes FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON presec_rules_changes TO presec_ps;
GRANT USAGE ON SEQUENCE presec_rules_changes_id_seq TO presec_ps;
