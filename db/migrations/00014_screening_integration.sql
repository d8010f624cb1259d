-- +goose Up

-- Screening lists uploaded through the portal. The platform operator's
-- upload is kept here until a job loads it, so that any server can work
-- the job and any server can answer the page that follows its progress.
-- Platform data, like the lists: no tenant, no row-level security.
CREATE TABLE screening_uploads (
    id          uuid PRIMARY KEY,
    format      text NOT NULL CHECK (format IN ('ofac', 'un', 'senzing')),
    status      text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
    -- stage, done and total are the load's progress: parse, write, index.
    stage       text NOT NULL DEFAULT '',
    done        int NOT NULL DEFAULT 0,
    total       int NOT NULL DEFAULT 0,
    file_names  text[] NOT NULL DEFAULT '{}',
    size_bytes  bigint NOT NULL DEFAULT 0,
    -- allow_shrink accepts a list with less than half the entries of the
    -- version in use, which is otherwise refused as likely cut short.
    allow_shrink boolean NOT NULL DEFAULT false,
    -- version_id is the version the load made (CURRENT) or recorded as
    -- refused (FAILED).
    version_id  uuid REFERENCES screening_list_versions(id),
    error       text NOT NULL DEFAULT '',
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX screening_uploads_created ON screening_uploads (created_at DESC);

-- The uploaded files, deleted once loaded or refused.
CREATE TABLE screening_upload_files (
    upload_id uuid NOT NULL REFERENCES screening_uploads(id),
    name      text NOT NULL,
    content   bytea NOT NULL,
    PRIMARY KEY (upload_id, name)
);

GRANT SELECT, INSERT, UPDATE ON screening_uploads TO ciam_app;
GRANT SELECT, INSERT, DELETE ON screening_upload_files TO ciam_app;

-- The hits queue: open hits oldest first, and one subject's hits on an entry.
CREATE INDEX screening_hits_open ON screening_hits (tenant_id, created_at) WHERE status = 'OPEN';
CREATE INDEX screening_hits_subject ON screening_hits (tenant_id, subject_id, source_id, source_entry_id);

-- +goose Down
-- Forward-only.
