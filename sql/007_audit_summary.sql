-- TS 33.141 requirement 6, as the presence_authz issue lists it: per document a watcher
-- received, the subscription, what was provided (tuple/person/device ids and element names)
-- and a hash of the body. The PS's audit writer fills these columns itself (COPY, many rows per
-- statement); the body is kept only where presence_authz's audit_document is set, as a log
-- that copies every presence document would hold more about the presentity than it must.
ALTER TABLE presec_presence_audit
  ADD COLUMN IF NOT EXISTS subscription      text,   -- 128 bits of SHA-256 over the dialog
  ADD COLUMN IF NOT EXISTS provided_ids      text[], -- NULL: the body was no presence document
  ADD COLUMN IF NOT EXISTS provided_elements text[],
  ADD COLUMN IF NOT EXISTS body_sha256       text,
  ALTER COLUMN document DROP NOT NULL;

-- rows written before this migration kept their body: derive the same summary from it
UPDATE presec_presence_audit SET
  body_sha256 = encode(sha256(convert_to(document, 'UTF8')), 'hex'),
  provided_ids = CASE WHEN document LIKE '<%' THEN ARRAY(
    SELECT x::text FROM unnest(xpath('/*/*[local-name()=''tuple'' or local-name()=''person'' '
                                     'or local-name()=''device'']/@id', document::xml)) x) END,
  provided_elements = CASE WHEN document LIKE '<%' THEN ARRAY(
    SELECT DISTINCT (xpath('local-name(/*)', e))[1]::text
    FROM unnest(xpath('/*//*', document::xml)) e) END
WHERE body_sha256 IS NULL AND document IS NOT NULL;

ALTER TABLE presec_presence_audit
  ADD CONSTRAINT presec_presence_audit_hashed CHECK (body_sha256 IS NOT NULL);
