-- +goose Up

-- Who holds a listed document number? The numbers a customer gave or the
-- server read are sealed (virtual documents' values, identity documents'
-- evidence), so the re-screening after a list update opened every one of
-- a tenant's to find out. Now each row carries a screening digest: a keyed
-- MAC of the number as screening normalises it, under a purpose naming its
-- kind (fieldcrypt.MAC), or an empty value when the row holds no number
-- (internal/kyc/screening_holders.go). NULL means not digested yet: the
-- re-screening digests those rows once, and then finds the holders of a
-- number by its digest, opening only theirs.
ALTER TABLE documents ADD COLUMN screening_digest bytea;
ALTER TABLE virtual_documents ADD COLUMN screening_digest bytea;

CREATE INDEX documents_screening_digest ON documents (tenant_id, screening_digest)
    WHERE screening_digest IS NOT NULL;
CREATE INDEX documents_screening_undigested ON documents (tenant_id)
    WHERE screening_digest IS NULL AND type = 'IDENTITY_DOCUMENT' AND evidence IS NOT NULL;
CREATE INDEX virtual_documents_screening_digest ON virtual_documents (tenant_id, screening_digest)
    WHERE screening_digest IS NOT NULL;
CREATE INDEX virtual_documents_screening_undigested ON virtual_documents (tenant_id)
    WHERE screening_digest IS NULL AND kind = 'VIRTUAL_DOCUMENT';

-- A digest is of what the row holds: when its evidence, sealed value or
-- type changes (a new read, a key rotation's re-sealing), it is dropped,
-- whoever writes, and made again by the next re-screening.
-- +goose StatementBegin
CREATE FUNCTION documents_screening_digest_reset() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.evidence IS DISTINCT FROM OLD.evidence OR NEW.sub_type IS DISTINCT FROM OLD.sub_type
       OR NEW.type IS DISTINCT FROM OLD.type THEN
        NEW.screening_digest := NULL;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER documents_screening_digest_reset BEFORE UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_screening_digest_reset();

-- +goose StatementBegin
CREATE FUNCTION virtual_documents_screening_digest_reset() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.value_sealed IS DISTINCT FROM OLD.value_sealed OR NEW.sub_type IS DISTINCT FROM OLD.sub_type
       OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.country IS DISTINCT FROM OLD.country THEN
        NEW.screening_digest := NULL;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER virtual_documents_screening_digest_reset BEFORE UPDATE ON virtual_documents
    FOR EACH ROW EXECUTE FUNCTION virtual_documents_screening_digest_reset();

-- +goose Down
-- Forward-only.
