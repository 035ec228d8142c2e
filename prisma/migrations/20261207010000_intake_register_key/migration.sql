-- The lead's payload data key is stored by intake's one statement too (api/intake.ts,
-- `registerNew`): the API makes the key, wraps it under the current master key, and passes it with
-- the lead, so starting the workflow finds the key in the codec's cache — one round trip per new
-- lead fewer than an INSERT on the key store's pool at the first encryption (platform/lead-keys.ts).
-- Committed with the lead or not at all. The 23-argument form stays for API instances of the
-- release before (a rolling deploy): it registers without a key, as they expect, through this body.
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
  -- Zoneless timestamps are read as UTC by Prisma, whatever the server's TimeZone.
  at_utc TIMESTAMP(3) := now() AT TIME ZONE 'UTC';
  aid BIGINT;
BEGIN
  -- In the keys' sorted order (unnest keeps array order), as the interactive path takes them.
  PERFORM pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(lock_keys) AS k;
  IF EXISTS (SELECT 1 FROM inquiries WHERE intake_key = p_intake_key)
     OR (p_phone IS NOT NULL AND EXISTS (SELECT 1 FROM leads WHERE phone = p_phone))
     OR (p_email IS NOT NULL AND EXISTS (SELECT 1 FROM leads WHERE email = p_email)) THEN
    RETURN QUERY SELECT false, NULL::BIGINT;
    RETURN;
  END IF;
  INSERT INTO leads (id, intake_key, kind, source_channel, source_partner_id, campaign, external_id, person_name, company_name,
                     company_key, phone, email, region, topic, stage, deal_value_minor, currency, created_at, updated_at, stage_changed_at)
  VALUES (p_id, p_intake_key, p_kind, p_source_channel, p_source_partner_id, p_campaign, p_external_id, p_person_name, p_company_name,
          p_company_key, p_phone, p_email, p_region, p_topic, 'received', p_deal_value_minor, p_currency, at_utc, at_utc, at_utc);
  INSERT INTO inquiries (intake_key, lead_id, source_channel, partner_id, received_at)
  VALUES (p_intake_key, p_id, p_source_channel, p_source_partner_id, at_utc);
  -- A plain INSERT: the id is new, so a key already there would be a bug, never a key to reuse.
  IF k_wrapped IS NOT NULL THEN
    INSERT INTO lead_data_keys (lead_id, master_key_id, wrapped) VALUES (p_id, k_master_key_id, k_wrapped);
  END IF;
  IF a_actor IS NOT NULL THEN
    INSERT INTO audit_log (at, actor, role, method, path, status, request_id, lead_id)
    VALUES (at_utc, a_actor, a_role, a_method, a_path, a_status, a_request_id, p_id)
    RETURNING id INTO aid;
  END IF;
  RETURN QUERY SELECT true, aid;
END
$$;

CREATE OR REPLACE FUNCTION intake_register_new(
  lock_keys TEXT[], p_intake_key TEXT, p_phone TEXT, p_email TEXT,
  p_id TEXT, p_kind TEXT, p_source_channel TEXT, p_source_partner_id TEXT, p_campaign TEXT, p_external_id TEXT,
  p_person_name TEXT, p_company_name TEXT, p_company_key TEXT, p_region TEXT, p_topic TEXT,
  p_deal_value_minor BIGINT, p_currency TEXT,
  a_actor TEXT, a_role TEXT, a_method TEXT, a_path TEXT, a_request_id TEXT, a_status INTEGER
) RETURNS TABLE (created BOOLEAN, audit_id BIGINT)
LANGUAGE sql VOLATILE AS $$
  SELECT * FROM intake_register_new(
    lock_keys, p_intake_key, p_phone, p_email, p_id, p_kind, p_source_channel, p_source_partner_id, p_campaign, p_external_id,
    p_person_name, p_company_name, p_company_key, p_region, p_topic, p_deal_value_minor, p_currency,
    a_actor, a_role, a_method, a_path, a_request_id, a_status, NULL::TEXT, NULL::BYTEA)
$$;
