-- +goose Up

-- Sanctions and PEP screening.
--
-- The lists are platform data shared by every tenant: a source (OFAC SDN,
-- the UN consolidated list, a PEP file), its versions (every load is one)
-- and the entries of each version. No row-level security: every tenant reads
-- the same lists, and only the platform operator's load path writes them.
CREATE TABLE screening_sources (
    id         text PRIMARY KEY CHECK (id ~ '^[A-Z0-9_]{2,64}$'),
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('SANCTIONS', 'PEP')),
    format     text NOT NULL CHECK (format IN ('OFAC_CSV', 'UN_XML', 'SENZING_JSONL')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE screening_list_versions (
    id                  uuid PRIMARY KEY,
    source_id           text NOT NULL REFERENCES screening_sources(id),
    -- seq numbers the versions of one source: 1, 2, 3, ...
    seq                 int NOT NULL,
    previous_version_id uuid REFERENCES screening_list_versions(id),
    status              text NOT NULL CHECK (status IN ('CURRENT', 'SUPERSEDED', 'FAILED')),
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    loaded_by           text NOT NULL DEFAULT '',
    file_name           text NOT NULL DEFAULT '',
    -- checksum is the SHA-256 of the files read, in hex.
    checksum            text NOT NULL DEFAULT '',
    entry_count         int NOT NULL DEFAULT 0,
    added               int NOT NULL DEFAULT 0,
    removed             int NOT NULL DEFAULT 0,
    changed             int NOT NULL DEFAULT 0,
    -- error says why a FAILED load was refused.
    error               text NOT NULL DEFAULT '',
    UNIQUE (source_id, seq)
);
-- At most one version of a source is in use.
CREATE UNIQUE INDEX screening_list_versions_current
    ON screening_list_versions (source_id) WHERE status = 'CURRENT';

CREATE TABLE screening_entries (
    version_id      uuid NOT NULL REFERENCES screening_list_versions(id),
    source_entry_id text NOT NULL,
    type            text NOT NULL CHECK (type IN ('INDIVIDUAL', 'ENTITY', 'VESSEL', 'AIRCRAFT')),
    primary_name    text NOT NULL,
    aliases         text[] NOT NULL DEFAULT '{}',
    -- ISO 8601 dates, possibly partial (1970, 1970-05), ranges (1960/1965)
    -- or approximate (~1970).
    dates_of_birth  text[] NOT NULL DEFAULT '{}',
    -- ISO 3166 alpha-2 codes of nationalities, citizenships, addresses, flags.
    countries       text[] NOT NULL DEFAULT '{}',
    programs        text[] NOT NULL DEFAULT '{}',
    remarks         text NOT NULL DEFAULT '',
    -- content_hash covers every field above but the ids: an entry whose hash
    -- differs from the previous version's has changed.
    content_hash    bytea NOT NULL,
    PRIMARY KEY (version_id, source_entry_id)
);

-- What a version added, removed and changed against the version before it.
CREATE TABLE screening_entry_changes (
    version_id      uuid NOT NULL REFERENCES screening_list_versions(id),
    source_entry_id text NOT NULL,
    change          text NOT NULL CHECK (change IN ('ADDED', 'REMOVED', 'CHANGED')),
    PRIMARY KEY (version_id, source_entry_id)
);

GRANT SELECT, INSERT ON screening_entries, screening_entry_changes TO ciam_app;
GRANT SELECT, INSERT, UPDATE ON screening_sources, screening_list_versions TO ciam_app;

-- Per tenant: which sources it screens against (a source with no row is
-- screened), its thresholds, and the hits on its customers.
CREATE TABLE screening_tenant_sources (
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    source_id  text NOT NULL REFERENCES screening_sources(id),
    enabled    boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, source_id)
);

CREATE TABLE screening_settings (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants(id),
    match_threshold    double precision NOT NULL DEFAULT 0.92,
    possible_threshold double precision NOT NULL DEFAULT 0.80,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (possible_threshold > 0 AND possible_threshold <= match_threshold AND match_threshold <= 1)
);

CREATE TABLE screening_hits (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants(id),
    -- subject_id is the screened customer.
    subject_id      uuid NOT NULL,
    subject_name    text NOT NULL,
    source_id       text NOT NULL REFERENCES screening_sources(id),
    source_entry_id text NOT NULL,
    version_id      uuid NOT NULL REFERENCES screening_list_versions(id),
    entry_hash      bytea NOT NULL,
    entry_name      text NOT NULL,
    entry_type      text NOT NULL,
    matched_name    text NOT NULL,
    score           double precision NOT NULL CHECK (score >= 0 AND score <= 1),
    match_status    text NOT NULL CHECK (match_status IN ('MATCH', 'POSSIBLE_MATCH')),
    explanation     jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CONFIRMED', 'DISMISSED')),
    decided_by      text NOT NULL DEFAULT '',
    decided_at      timestamptz,
    note            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- One hit per subject and entry content: a decided hit (dismissed or
-- confirmed) keeps later screenings from raising the same entry again until
-- the entry changes and so gets a new hash.
CREATE UNIQUE INDEX screening_hits_subject_entry
    ON screening_hits (tenant_id, subject_id, source_id, source_entry_id, entry_hash);
CREATE INDEX screening_hits_queue ON screening_hits (tenant_id, status, created_at DESC);

ALTER TABLE screening_tenant_sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE screening_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE screening_hits ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON screening_tenant_sources USING (tenant_id = current_tenant());
CREATE POLICY tenant_isolation ON screening_settings USING (tenant_id = current_tenant());
CREATE POLICY tenant_isolation ON screening_hits USING (tenant_id = current_tenant());

GRANT SELECT, INSERT, UPDATE ON screening_tenant_sources, screening_settings, screening_hits TO ciam_app;

-- +goose Down
-- Forward-only: migrations are never rolled back.
