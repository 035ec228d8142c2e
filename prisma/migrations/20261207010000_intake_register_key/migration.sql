-- The lead's payload data key is stored by intake's one statement too (api/intake.ts,
-- `registerNew`): the API makes the key, wraps it under the current master key, and passes it with
-- the lead, so starting the workflow finds the key in the codec's cache — one round trip per new
-- lead fewer than an INSERT on the key store's pool at the first encryption (platform/lead-keys.ts).
-- A 25-argument form around the 23-argument one of migration 20261201030000, which stays as it is
-- (API instances of the release before call it during a rolling deploy): the key is committed with
-- the lead, or not at all when nothing was registered.
CREATE OR REPLACE FUNCTION intake_register_new(
  lock_keys TEXT[], p_intake_key TEXT, p_phone TEXT, p_email TEXT,
  p_id TEXT, p_kind TEXT, p_source_channel TEXT, p_source_partner_id TEXT, p_campaign TEXT, p_external_id TEXT,
  p_person_name TEXT, p_company_name TEXT, p_company_key TEXT, p_region TEXT, p_topic TEXT,
  p_deal_value_minor BIGINT, p_currency TEXT,
  a_actor TEXT, a_role TEXT, a_method TEXT, a_path TEXT, a_request_id TEXT, a_status INTEGER,
  k_master_key_id TEXT, k_wrapped BYTEA
) RETURNS TABLE (created BOOLEAN, audit_id BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r RECORD;
BEGIN
  SELECT * INTO r FROM intake_register_new(
    lock_keys, p_intake_key, p_phone, p_email, p_id, p_kind, p_source_channel, p_source_partner_id, p_campaign, p_external_id,
    p_person_name, p_company_name, p_company_key, p_region, p_topic, p_deal_value_minor, p_currency,
    a_actor, a_role, a_method, a_path, a_request_id, a_status);
  -- A plain INSERT: the id is new, so a key already there would be a bug, never a key to reuse.
  IF r.created AND k_wrapped IS NOT NULL THEN
    INSERT INTO lead_data_keys (lead_id, master_key_id, wrapped) VALUES (p_id, k_master_key_id, k_wrapped);
  END IF;
  RETURN QUERY SELECT r.created, r.audit_id;
END
$$;
