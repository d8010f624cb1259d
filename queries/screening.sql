-- Lists (platform data, no tenant).

-- name: EnsureScreeningSource :exec
-- For a refused load: the source is recorded if new, as far as it is known.
INSERT INTO screening_sources (id, name, kind, format)
VALUES (@id, @name, @kind, @format)
ON CONFLICT (id) DO NOTHING;

-- name: UpsertScreeningSource :exec
-- For a load: a list's name and kind are as its latest version says.
INSERT INTO screening_sources (id, name, kind, format)
VALUES (@id, @name, @kind, @format)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, format = excluded.format;

-- name: ListScreeningSources :many
SELECT * FROM screening_sources ORDER BY id;

-- name: LockScreeningSource :exec
-- Serialises loads of one source until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('screening source ' || @source_id::text, 0));

-- name: CurrentScreeningVersion :one
SELECT * FROM screening_list_versions
WHERE source_id = @source_id AND status = 'CURRENT';

-- name: CurrentScreeningVersions :many
SELECT * FROM screening_list_versions
WHERE status = 'CURRENT'
ORDER BY source_id;

-- name: ScreeningVersionByID :one
SELECT * FROM screening_list_versions WHERE id = @id;

-- name: ListScreeningVersions :many
SELECT * FROM screening_list_versions
WHERE (@source_id::text = '' OR source_id = @source_id)
ORDER BY loaded_at DESC, seq DESC
LIMIT @max_rows;

-- name: NextScreeningVersionSeq :one
SELECT (coalesce(max(seq), 0) + 1)::int FROM screening_list_versions WHERE source_id = @source_id;

-- name: InsertScreeningVersion :one
INSERT INTO screening_list_versions (id, source_id, seq, previous_version_id, status, loaded_by,
                                     file_name, checksum, entry_count, added, removed, changed, error, published)
VALUES (@id, @source_id, @seq, @previous_version_id, @status, @loaded_by,
        @file_name, @checksum, @entry_count, @added, @removed, @changed, @error, @published)
RETURNING *;

-- name: SupersedeScreeningVersion :exec
UPDATE screening_list_versions SET status = 'SUPERSEDED'
WHERE id = @id AND status = 'CURRENT';

-- name: CopyScreeningEntries :copyfrom
INSERT INTO screening_entries (version_id, source_entry_id, type, primary_name, aliases,
                               dates_of_birth, countries, programs, remarks, content_hash,
                               identifiers, listed_on)
VALUES (@version_id, @source_entry_id, @type, @primary_name, @aliases,
        @dates_of_birth, @countries, @programs, @remarks, @content_hash,
        @identifiers, @listed_on);

-- name: ScreeningEntryHashes :many
SELECT source_entry_id, content_hash FROM screening_entries WHERE version_id = @version_id;

-- name: CopyScreeningChanges :copyfrom
INSERT INTO screening_entry_changes (version_id, source_entry_id, change)
VALUES (@version_id, @source_entry_id, @change);

-- name: ScreeningEntriesOfVersion :many
SELECT * FROM screening_entries WHERE version_id = @version_id ORDER BY source_entry_id;

-- name: ScreeningChangedEntries :many
-- The entries a version added or changed: what re-screening looks at.
SELECT e.* FROM screening_entries e
JOIN screening_entry_changes c ON c.version_id = e.version_id AND c.source_entry_id = e.source_entry_id
WHERE e.version_id = @version_id AND c.change IN ('ADDED', 'CHANGED')
ORDER BY e.source_entry_id;

-- name: ScreeningVersionChanges :many
-- A version's changes with the entry's name: from this version for added and
-- changed entries, from the previous one for removed entries.
SELECT c.change, c.source_entry_id,
       coalesce(cur.primary_name, prev.primary_name, '')::text AS primary_name,
       coalesce(cur.type, prev.type, '')::text AS type
FROM screening_entry_changes c
JOIN screening_list_versions v ON v.id = c.version_id
LEFT JOIN screening_entries cur ON cur.version_id = c.version_id AND cur.source_entry_id = c.source_entry_id
LEFT JOIN screening_entries prev ON prev.version_id = v.previous_version_id AND prev.source_entry_id = c.source_entry_id
WHERE c.version_id = @version_id
  AND (@change::text = '' OR c.change = @change)
ORDER BY c.change, length(c.source_entry_id), c.source_entry_id
LIMIT @max_rows;

-- Tenant settings.

-- name: ScreeningSettings :one
SELECT * FROM screening_settings WHERE tenant_id = @tenant_id;

-- name: UpsertScreeningSettings :one
INSERT INTO screening_settings (tenant_id, match_threshold, possible_threshold, enhanced_threshold, max_list_age_days)
VALUES (@tenant_id, @match_threshold, @possible_threshold, sqlc.narg(enhanced_threshold), @max_list_age_days)
ON CONFLICT (tenant_id) DO UPDATE
SET match_threshold = excluded.match_threshold,
    possible_threshold = excluded.possible_threshold,
    enhanced_threshold = excluded.enhanced_threshold,
    max_list_age_days = excluded.max_list_age_days,
    updated_at = now()
RETURNING *;

-- name: ScreeningTenantSources :many
SELECT * FROM screening_tenant_sources WHERE tenant_id = @tenant_id ORDER BY source_id;

-- name: SetScreeningTenantSource :exec
INSERT INTO screening_tenant_sources (tenant_id, source_id, enabled)
VALUES (@tenant_id, @source_id, @enabled)
ON CONFLICT (tenant_id, source_id) DO UPDATE SET enabled = excluded.enabled, updated_at = now();

-- Hits.

-- name: InsertScreeningHit :one
-- Nothing is inserted (and no row returned) when the subject already has a
-- hit on this entry with this content, whatever its status.
INSERT INTO screening_hits (id, tenant_id, subject_id, subject_name, source_id, source_entry_id,
                            version_id, entry_hash, entry_name, entry_type, matched_name, score,
                            match_status, explanation, sources)
VALUES (@id, @tenant_id, @subject_id, @subject_name, @source_id, @source_entry_id,
        @version_id, @entry_hash, @entry_name, @entry_type, @matched_name, @score,
        @match_status, @explanation, @sources)
ON CONFLICT (tenant_id, subject_id, source_id, source_entry_id, entry_hash) DO NOTHING
RETURNING *;

-- name: InsertScreeningHits :many
-- Many hits of one tenant in one statement; as InsertScreeningHit, a hit
-- the subject already has on the entry with this content is not inserted,
-- and only the inserted ones are returned.
INSERT INTO screening_hits (id, tenant_id, subject_id, subject_name, source_id, source_entry_id,
                            version_id, entry_hash, entry_name, entry_type, matched_name, score,
                            match_status, explanation, sources)
-- Set-returning functions side by side in a select list run in step: one
-- row for each place of the arrays.
SELECT unnest(@ids::uuid[]), @tenant_id, unnest(@subject_ids::uuid[]), unnest(@subject_names::text[]),
       unnest(@source_ids::text[]), unnest(@source_entry_ids::text[]), unnest(@version_ids::uuid[]),
       unnest(@entry_hashes::bytea[]), unnest(@entry_names::text[]), unnest(@entry_types::text[]),
       unnest(@matched_names::text[]), unnest(@scores::double precision[]), unnest(@match_statuses::text[]),
       unnest(@explanations::jsonb[]), unnest(@sources::jsonb[])
ON CONFLICT (tenant_id, subject_id, source_id, source_entry_id, entry_hash) DO NOTHING
RETURNING *;

-- name: ScreeningHitsOfSubjects :many
-- What the subjects' hits are about: each hit's own entry and content, its
-- status, and every entry it stands for (sources).
SELECT subject_id, source_id, source_entry_id, entry_hash, status, sources
FROM screening_hits
WHERE tenant_id = @tenant_id AND subject_id = ANY(@subject_ids::uuid[]);

-- name: ScreeningHitByID :one
SELECT * FROM screening_hits WHERE tenant_id = @tenant_id AND id = @id;

-- name: LockScreeningHit :one
SELECT * FROM screening_hits WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: DecideScreeningHit :one
UPDATE screening_hits
SET status = @status, note = @note, decided_by = @decided_by, decided_at = now(), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: ListScreeningHits :many
SELECT * FROM screening_hits
WHERE tenant_id = @tenant_id
  AND (@status::text = '' OR status = @status)
  AND (sqlc.narg(subject_id)::uuid IS NULL OR subject_id = sqlc.narg(subject_id))
ORDER BY created_at DESC, id
LIMIT @max_rows;

-- The hits queue.

-- name: ScreeningHitQueue :many
-- Open hits first, then the others; oldest first within each.
SELECT * FROM screening_hits
WHERE tenant_id = @tenant_id
  AND (@status::text = '' OR status = @status)
  AND (@source_id::text = '' OR source_id = @source_id)
  AND score >= @min_score::double precision
ORDER BY (status = 'OPEN') DESC, created_at, id
LIMIT @max_rows OFFSET @skip;

-- name: CountScreeningHitQueue :one
SELECT count(*) FROM screening_hits
WHERE tenant_id = @tenant_id
  AND (@status::text = '' OR status = @status)
  AND (@source_id::text = '' OR source_id = @source_id)
  AND score >= @min_score::double precision;

-- name: CountScreeningHitsByStatus :many
-- Counts per status under the queue's other filters.
SELECT status, count(*)::bigint AS n FROM screening_hits
WHERE tenant_id = @tenant_id
  AND (@source_id::text = '' OR source_id = @source_id)
  AND score >= @min_score::double precision
GROUP BY status;

-- name: CountOpenScreeningHits :one
SELECT count(*) FROM screening_hits WHERE tenant_id = @tenant_id AND status = 'OPEN';

-- name: OldestOpenScreeningHit :one
SELECT created_at FROM screening_hits WHERE tenant_id = @tenant_id AND status = 'OPEN'
ORDER BY created_at LIMIT 1;

-- name: ScreeningHitSources :many
SELECT DISTINCT source_id FROM screening_hits WHERE tenant_id = @tenant_id ORDER BY source_id;

-- name: ScreeningHitsOnEntry :many
-- A subject's hits on one entry, newest first: a hit's history.
SELECT * FROM screening_hits
WHERE tenant_id = @tenant_id AND subject_id = @subject_id
  AND source_id = @source_id AND source_entry_id = @source_entry_id
ORDER BY created_at DESC, id;

-- Entries and diffs.

-- name: ScreeningEntry :one
SELECT * FROM screening_entries WHERE version_id = @version_id AND source_entry_id = @source_entry_id;

-- name: ScreeningEntriesByIDs :many
SELECT * FROM screening_entries WHERE version_id = @version_id AND source_entry_id = ANY(@ids::text[]);

-- name: ScreeningVersionChangePage :many
SELECT change, source_entry_id FROM screening_entry_changes
WHERE version_id = @version_id AND (@change::text = '' OR change = @change)
ORDER BY change, length(source_entry_id), source_entry_id
LIMIT @max_rows OFFSET @skip;

-- name: CountScreeningVersionChanges :one
SELECT count(*) FROM screening_entry_changes
WHERE version_id = @version_id AND (@change::text = '' OR change = @change);

-- Uploads.

-- name: InsertScreeningUpload :one
INSERT INTO screening_uploads (id, format, file_names, size_bytes, allow_shrink, created_by, source_id)
VALUES (@id, @format, @file_names, @size_bytes, @allow_shrink, @created_by, @source_id)
RETURNING *;

-- name: InsertScreeningUploadFile :exec
INSERT INTO screening_upload_files (upload_id, name, content) VALUES (@upload_id, @name, @content);

-- name: ScreeningUploadByID :one
SELECT * FROM screening_uploads WHERE id = @id;

-- name: ScreeningUploadFiles :many
SELECT * FROM screening_upload_files WHERE upload_id = @upload_id ORDER BY name;

-- name: DeleteScreeningUploadFiles :exec
DELETE FROM screening_upload_files WHERE upload_id = @upload_id;

-- name: SetScreeningUploadProgress :exec
UPDATE screening_uploads
SET status = @status, stage = @stage, done = @done, total = @total, updated_at = now()
WHERE id = @id;

-- name: FinishScreeningUpload :one
UPDATE screening_uploads
SET status = @status, version_id = @version_id, error = @error, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ListScreeningUploads :many
SELECT * FROM screening_uploads ORDER BY created_at DESC LIMIT @max_rows;

-- Fetching the lists from their publishers (platform data, no tenant).

-- name: ScreeningSourceFetches :many
SELECT * FROM screening_source_fetch ORDER BY source_id;

-- name: ScreeningSourceFetch :one
SELECT * FROM screening_source_fetch WHERE source_id = @source_id;

-- name: LockScreeningSourceFetch :one
SELECT * FROM screening_source_fetch WHERE source_id = @source_id FOR UPDATE;

-- name: DueScreeningSourceFetches :many
SELECT source_id FROM screening_source_fetch
WHERE enabled AND next_fetch_at <= @now
ORDER BY next_fetch_at, source_id;

-- name: UpsertScreeningSourceFetch :one
-- Sets where and how often a source is fetched, keeping what the last
-- fetches recorded.
INSERT INTO screening_source_fetch (source_id, name, kind, format, url, enabled, interval_seconds, max_bytes,
                                    stale_after_seconds, max_shrink)
VALUES (@source_id, @name, @kind, @format, @url, @enabled, @interval_seconds, @max_bytes,
        @stale_after_seconds, @max_shrink)
ON CONFLICT (source_id) DO UPDATE
SET name = excluded.name, kind = excluded.kind, format = excluded.format, url = excluded.url,
    enabled = excluded.enabled, interval_seconds = excluded.interval_seconds, max_bytes = excluded.max_bytes,
    stale_after_seconds = excluded.stale_after_seconds, max_shrink = excluded.max_shrink,
    next_fetch_at = now(), updated_at = now()
RETURNING *;

-- name: RecordScreeningFetch :one
UPDATE screening_source_fetch
SET last_attempt_at = @attempt_at, last_result = @last_result, last_error = @last_error,
    etag = @etag, last_modified = @last_modified, last_checksum = @last_checksum,
    last_success_at = sqlc.narg(last_success_at), last_version_id = sqlc.narg(last_version_id),
    failures = @failures, alert = @alert, next_fetch_at = @next_fetch_at, updated_at = now()
WHERE source_id = @source_id
RETURNING *;

-- name: SetScreeningFetchAlert :exec
UPDATE screening_source_fetch SET alert = @alert, updated_at = now() WHERE source_id = @source_id;

-- name: ClaimScreeningFetch :execrows
-- Takes a due source for one fetch: a second periodic run finds it not due.
UPDATE screening_source_fetch SET next_fetch_at = @until, updated_at = now()
WHERE source_id = @source_id AND enabled AND next_fetch_at <= @now;

-- name: SetScreeningFetchDue :exec
UPDATE screening_source_fetch SET next_fetch_at = @next_fetch_at, updated_at = now() WHERE source_id = @source_id;

-- name: HoldScreeningFetch :exec
UPDATE screening_source_fetch
SET held_at = now(), held_entries = @held_entries, held_current = @held_current, held_checksum = @held_checksum, updated_at = now()
WHERE source_id = @source_id;

-- name: ClearScreeningFetchHeld :exec
UPDATE screening_source_fetch
SET held_at = NULL, held_entries = 0, held_current = 0, held_checksum = '', updated_at = now()
WHERE source_id = @source_id;

-- name: InsertScreeningHeldFile :exec
INSERT INTO screening_source_held_files (source_id, name, content) VALUES (@source_id, @name, @content);

-- name: ScreeningHeldFiles :many
SELECT * FROM screening_source_held_files WHERE source_id = @source_id ORDER BY name;

-- name: DeleteScreeningHeldFiles :exec
DELETE FROM screening_source_held_files WHERE source_id = @source_id;
