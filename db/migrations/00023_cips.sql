-- +goose Up

-- Customer Identification Programs (guide 002: up to 3,000 of them): a
-- CIP is the set of a tenant's requirement rows with one tag, by country
-- and risk level. Tag 1 is every tenant's default program, which the rows
-- before this migration belong to; a customer's cip_tag picks theirs.
ALTER TABLE kyc_requirements
    ADD COLUMN cip_tag int NOT NULL DEFAULT 1 CHECK (cip_tag BETWEEN 1 AND 3000),
    DROP CONSTRAINT kyc_requirements_tenant_id_country_risk_level_doc_type_key,
    ADD CONSTRAINT kyc_requirements_tenant_cip_country_risk_type UNIQUE (tenant_id, cip_tag, country, risk_level, doc_type);

ALTER TABLE customers ADD CONSTRAINT customers_cip_tag_range CHECK (cip_tag <= 3000);

-- +goose Down
-- Forward-only.
