-- Retention of the presence audit log (presence_authz audit_retention_days). The PS may append
-- to the log but not rewrite it (003); removing rows older than the retention period is the one
-- deletion it may ask for, through this function, which refuses periods under one day.
CREATE OR REPLACE FUNCTION presec_audit_expire(days integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  n bigint;
BEGIN
  IF days IS NULL OR days < 1 THEN
    RAISE EXCEPTION 'retention must be at least one day, not %', days;
  END IF;
  DELETE FROM presec_presence_audit WHERE sent_at < now() - make_interval(days => days);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION presec_audit_expire(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION presec_audit_expire(integer) TO presec_ps;
