-- +goose Up

-- New list formats: the OFAC Consolidated (non-SDN) CSV, the BIS Denied
-- Persons List, the US Consolidated Screening List, the EU financial
-- sanctions file and the UK Sanctions List.
ALTER TABLE screening_sources DROP CONSTRAINT screening_sources_format_check;
ALTER TABLE screening_sources ADD CONSTRAINT screening_sources_format_check CHECK (format IN (
    'OFAC_CSV', 'OFAC_CONS_CSV', 'UN_XML', 'SENZING_JSONL', 'BIS_DPL_TSV', 'US_CSL_CSV', 'EU_FSF_XML', 'UK_SL_XML'));
ALTER TABLE screening_uploads DROP CONSTRAINT screening_uploads_format_check;
ALTER TABLE screening_uploads ADD CONSTRAINT screening_uploads_format_check CHECK (format IN (
    'ofac', 'ofac-cons', 'un', 'senzing', 'dpl', 'csl', 'eu', 'uk'));

-- source_id, when set, is the fetched source a held file loads as (a
-- Senzing collection names no one source of its own).
ALTER TABLE screening_uploads ADD COLUMN source_id text NOT NULL DEFAULT '';

-- published is when the publisher generated the file a version was loaded
-- from (ISO 8601 date), as the file or the publisher's Last-Modified says.
ALTER TABLE screening_list_versions ADD COLUMN published text NOT NULL DEFAULT '';

-- Where and when each list is fetched from its publisher. Platform data,
-- like the lists: no tenant, no row-level security. Nothing is fetched
-- unless the operator enables fetching (SCREENING_FETCH=true); offline
-- installs keep loading files by hand.
CREATE TABLE screening_source_fetch (
    source_id        text PRIMARY KEY CHECK (source_id ~ '^[A-Z0-9_]{2,64}$'),
    name             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('SANCTIONS', 'PEP')),
    -- format is the loader's format (ciam screening load --source).
    format           text NOT NULL CHECK (format IN ('ofac', 'ofac-cons', 'un', 'senzing', 'dpl', 'csl', 'eu', 'uk')),
    -- url is the file's address; for the OFAC formats, whose lists are
    -- several files, {file} stands for a file's name (sdn.csv) and {FILE}
    -- for it in capitals (SDN.CSV).
    url              text NOT NULL CHECK (url ~ '^https?://'),
    enabled          boolean NOT NULL DEFAULT true,
    interval_seconds int NOT NULL DEFAULT 21600 CHECK (interval_seconds >= 60),
    max_bytes        bigint NOT NULL DEFAULT 209715200 CHECK (max_bytes > 0),
    -- A source with no successful fetch for stale_after_seconds alerts.
    stale_after_seconds int NOT NULL DEFAULT 172800 CHECK (stale_after_seconds >= 60),
    -- max_shrink is the share of the entries in use a new file may lose
    -- before it is held for a person's approval.
    max_shrink       double precision NOT NULL DEFAULT 0.5 CHECK (max_shrink >= 0 AND max_shrink <= 1),
    -- What the publisher said last, for conditional requests.
    etag             text NOT NULL DEFAULT '',
    last_modified    text NOT NULL DEFAULT '',
    last_checksum    text NOT NULL DEFAULT '',
    -- The last attempt: LOADED (a new version), UNCHANGED (same content),
    -- NOT_MODIFIED (304), HELD (a shrink awaiting approval) or FAILED.
    last_attempt_at  timestamptz,
    last_result      text NOT NULL DEFAULT '' CHECK (last_result IN ('', 'LOADED', 'UNCHANGED', 'NOT_MODIFIED', 'HELD', 'FAILED')),
    last_error       text NOT NULL DEFAULT '',
    last_success_at  timestamptz,
    last_version_id  uuid REFERENCES screening_list_versions(id),
    failures         int NOT NULL DEFAULT 0,
    -- alert is the alert raised and not yet cleared: FAILING or STALE.
    alert            text NOT NULL DEFAULT '' CHECK (alert IN ('', 'FAILING', 'STALE')),
    next_fetch_at    timestamptz NOT NULL DEFAULT now(),
    -- A fetched file that would remove more than max_shrink of the entries,
    -- held until a person loads it anyway or discards it.
    held_at          timestamptz,
    held_entries     int NOT NULL DEFAULT 0,
    held_current     int NOT NULL DEFAULT 0,
    held_checksum    text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE screening_source_held_files (
    source_id text NOT NULL REFERENCES screening_source_fetch(source_id),
    name      text NOT NULL,
    content   bytea NOT NULL,
    PRIMARY KEY (source_id, name)
);

-- The publishers' official download addresses.
INSERT INTO screening_source_fetch (source_id, name, kind, format, url, interval_seconds) VALUES
    ('OFAC_SDN', 'OFAC Specially Designated Nationals', 'SANCTIONS', 'ofac',
     'https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/{FILE}', 21600),
    ('OFAC_CONSOLIDATED', 'OFAC Consolidated (non-SDN) Sanctions List', 'SANCTIONS', 'ofac-cons',
     'https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/{FILE}', 21600),
    ('UN_CONSOLIDATED', 'UN Security Council Consolidated List', 'SANCTIONS', 'un',
     'https://scsanctions.un.org/resources/xml/en/consolidated.xml', 21600),
    ('EU_FSF', 'EU Financial Sanctions (consolidated list)', 'SANCTIONS', 'eu',
     'https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw', 21600),
    ('UK_SANCTIONS_LIST', 'UK Sanctions List', 'SANCTIONS', 'uk',
     'https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml', 21600),
    ('US_CSL', 'US Consolidated Screening List', 'SANCTIONS', 'csl',
     'https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv', 86400);
-- OpenSanctions' default collection (200+ sources in one Senzing file) is
-- set up but not enabled: its use in a business needs OpenSanctions' data
-- licence (its data is CC BY-NC), and the file is far larger than the
-- other lists: raise max_bytes to its size when enabling it.
INSERT INTO screening_source_fetch (source_id, name, kind, format, url, interval_seconds, enabled, max_bytes) VALUES
    ('OPENSANCTIONS_DEFAULT', 'OpenSanctions (default collection)', 'SANCTIONS', 'senzing',
     'https://data.opensanctions.org/datasets/latest/default/senzing.json', 86400, false, 209715200);

GRANT SELECT, INSERT, UPDATE ON screening_source_fetch TO ciam_app;
GRANT SELECT, INSERT, DELETE ON screening_source_held_files TO ciam_app;

-- +goose Down
-- Forward-only: migrations are never rolled back.
