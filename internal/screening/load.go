package screening

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// Version is one load of a list.
type Version struct {
	ID                uuid.UUID
	Source            string
	Seq               int
	PreviousVersionID *uuid.UUID
	Status            string // CURRENT, SUPERSEDED or FAILED
	LoadedAt          time.Time
	LoadedBy          string
	FileName          string
	Checksum          string
	Entries           int
	Added             int
	Removed           int
	Changed           int
	// Error says why a FAILED load was refused.
	Error string
	// Published is when the publisher generated the file (ISO 8601), when
	// known.
	Published string
}

func versionOf(v db.ScreeningListVersion) Version {
	return Version{
		ID: v.ID, Source: v.SourceID, Seq: int(v.Seq), PreviousVersionID: v.PreviousVersionID, Status: v.Status,
		LoadedAt: v.LoadedAt, LoadedBy: v.LoadedBy, FileName: v.FileName, Checksum: v.Checksum,
		Entries: int(v.EntryCount), Added: int(v.Added), Removed: int(v.Removed), Changed: int(v.Changed), Error: v.Error,
		Published: v.Published,
	}
}

// Diff is what a version changed against the one before it, by entry id.
type Diff struct {
	Added   []string
	Removed []string
	Changed []string
}

// LoadOptions tune a load.
type LoadOptions struct {
	// Progress, when set, is told how far the load has come: stage is
	// "parse", "write" or "index", done of total units.
	Progress func(stage string, done, total int)
	// AllowShrink accepts a version with fewer than half the entries of the
	// current one, which is otherwise refused as a likely cut-short file.
	AllowShrink bool
	// As, when its ID is set, is the source the list loads as (see
	// ParseAs).
	As Source
}

func (o LoadOptions) progress(stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

// LoadResult is a loaded version and what it changed.
type LoadResult struct {
	Version Version
	Diff    Diff
	// RescreenQueued says a job to re-screen every active customer
	// against the added and changed entries was queued.
	RescreenQueued bool
}

// copyBatch is how many entries go to the database at a time, so that
// progress can be told.
const copyBatch = 1000

// Load reads the list at path in format and makes it the source's current
// version, in one transaction, with what it added, removed and changed
// against the version before. A malformed file is refused with an error
// naming the file and line, recorded as a FAILED version; the version in
// use stays in use.
func (s *Service) Load(ctx context.Context, format Format, path string, opts LoadOptions) (LoadResult, error) {
	opts.progress("parse", 0, 1)
	p, err := ParseAs(format, path, opts.As)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			src, known := p.Source, p.Source.ID != ""
			if !known {
				src, known = knownSource(format)
			}
			if known {
				if rerr := s.recordFailure(ctx, src, fe.File, err); rerr != nil {
					return LoadResult{}, errors.Join(refused(err), rerr)
				}
			}
			return LoadResult{}, refused(err)
		}
		return LoadResult{}, fmt.Errorf("screening: load: %w", err)
	}
	opts.progress("parse", 1, 1)
	return s.LoadParsed(ctx, p, opts)
}

// refused makes a malformed list a domain error whose message names the
// file and line.
func refused(err error) error {
	return &apperr.Error{Code: apperr.Malformed, Message: "list refused: " + err.Error(), Err: err}
}

// knownSource is the source a format always loads, when it does.
func knownSource(format Format) (Source, bool) {
	switch format {
	case FormatOFAC:
		return ofacSource, true
	case FormatOFACCons:
		return ofacConsSource, true
	case FormatUN:
		return unSource, true
	case FormatDPL:
		return dplSource, true
	case FormatCSL:
		return cslSource, true
	case FormatEU:
		return euSource, true
	case FormatUK:
		return ukSource, true
	}
	return Source{}, false
}

// LoadParsed loads a list already read, as Load does.
func (s *Service) LoadParsed(ctx context.Context, p Parsed, opts LoadOptions) (LoadResult, error) {
	var res LoadResult
	var shrink error
	err := db.InTxPgx(ctx, s.pool, func(tx pgx.Tx, q *db.Queries) error {
		if err := q.UpsertScreeningSource(ctx, db.UpsertScreeningSourceParams{
			ID: p.Source.ID, Name: p.Source.Name, Kind: p.Source.Kind, Format: formatNames[p.Source.Format],
		}); err != nil {
			return err
		}
		if err := q.LockScreeningSource(ctx, p.Source.ID); err != nil {
			return err
		}
		var prev *db.ScreeningListVersion
		cur, err := q.CurrentScreeningVersion(ctx, p.Source.ID)
		switch {
		case err == nil:
			prev = &cur
		case !db.IsNotFound(err):
			return err
		}
		if prev != nil && !opts.AllowShrink && len(p.Entries) < int(prev.EntryCount)/2 {
			shrink = fmt.Errorf("%s has %d entries, the version in use %d: is the file cut short? (load it anyway with AllowShrink)",
				p.FileName, len(p.Entries), prev.EntryCount)
			return shrink
		}

		diff, hashes, err := diffAgainst(ctx, q, prev, p.Entries)
		if err != nil {
			return err
		}
		seq, err := q.NextScreeningVersionSeq(ctx, p.Source.ID)
		if err != nil {
			return err
		}
		var prevID *uuid.UUID
		if prev != nil {
			prevID = &prev.ID
			if err := q.SupersedeScreeningVersion(ctx, prev.ID); err != nil {
				return err
			}
		}
		v, err := q.InsertScreeningVersion(ctx, db.InsertScreeningVersionParams{
			ID: uuid.New(), SourceID: p.Source.ID, Seq: seq, PreviousVersionID: prevID, Status: "CURRENT",
			LoadedBy: actorName(ctx), FileName: p.FileName, Checksum: p.Checksum, EntryCount: int32(len(p.Entries)),
			Added: int32(len(diff.Added)), Removed: int32(len(diff.Removed)), Changed: int32(len(diff.Changed)),
			Published: p.Published,
		})
		if err != nil {
			return err
		}
		rows := make([]db.CopyScreeningEntriesParams, 0, copyBatch)
		for i, e := range p.Entries {
			rows = append(rows, db.CopyScreeningEntriesParams{
				VersionID: v.ID, SourceEntryID: e.ID, Type: string(e.Type), PrimaryName: e.Name,
				Aliases: nonNil(e.Aliases), DatesOfBirth: nonNil(e.DatesOfBirth), Countries: nonNil(e.Countries),
				Programs: nonNil(e.Programs), Remarks: e.Remarks, ContentHash: hashes[i],
				Identifiers: nonNil(identifierStrings(e.Identifiers)), ListedOn: e.ListedOn,
			})
			if len(rows) == copyBatch || i == len(p.Entries)-1 {
				if _, err := q.CopyScreeningEntries(ctx, rows); err != nil {
					return err
				}
				rows = rows[:0]
				opts.progress("write", i+1, len(p.Entries))
			}
		}
		var changes []db.CopyScreeningChangesParams
		for _, c := range []struct {
			kind string
			ids  []string
		}{{"ADDED", diff.Added}, {"REMOVED", diff.Removed}, {"CHANGED", diff.Changed}} {
			for _, id := range c.ids {
				changes = append(changes, db.CopyScreeningChangesParams{VersionID: v.ID, SourceEntryID: id, Change: c.kind})
			}
		}
		if _, err := q.CopyScreeningChanges(ctx, changes); err != nil {
			return err
		}
		res = LoadResult{Version: versionOf(v), Diff: diff}
		// Customers are re-screened against what changed, once the version
		// is in use: the job is queued in this transaction, so it exists
		// exactly when the version does.
		if s.Jobs != nil && len(diff.Added)+len(diff.Changed) > 0 {
			if _, err := s.Jobs.InsertTx(ctx, tx, RescreenArgs{VersionID: v.ID}, &river.InsertOpts{MaxAttempts: 5}); err != nil {
				return err
			}
			res.RescreenQueued = true
		}
		return audit.Write(ctx, q, audit.Entry{
			Action: "screening.list.loaded", EntityType: "screening_list_version", EntityID: v.ID.String(),
			After: map[string]any{
				"source": v.SourceID, "version": v.Seq, "file": v.FileName, "checksum": v.Checksum,
				"entries": v.EntryCount, "added": v.Added, "removed": v.Removed, "changed": v.Changed, "published": v.Published,
			},
		})
	})
	if shrink != nil {
		if rerr := s.recordFailure(ctx, p.Source, p.FileName, shrink); rerr != nil {
			return LoadResult{}, errors.Join(refused(shrink), rerr)
		}
		return LoadResult{}, refused(shrink)
	}
	if err != nil {
		return LoadResult{}, fmt.Errorf("screening: load %s: %w", p.Source.ID, err)
	}
	opts.progress("index", 0, 1)
	if _, err := s.Refresh(ctx); err != nil {
		return res, err
	}
	opts.progress("index", 1, 1)
	return res, nil
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func actorName(ctx context.Context) string {
	a := actor.From(ctx)
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

var formatNames = map[Format]string{FormatOFAC: "OFAC_CSV", FormatOFACCons: "OFAC_CONS_CSV", FormatUN: "UN_XML", FormatSenzing: "SENZING_JSONL",
	FormatDPL: "BIS_DPL_TSV", FormatCSL: "US_CSL_CSV", FormatEU: "EU_FSF_XML", FormatUK: "UK_SL_XML"}

// ensureSource records a source that a load refused, if it is new.
func ensureSource(ctx context.Context, q *db.Queries, src Source) error {
	if src.Kind == "" {
		src.Kind = KindSanctions
	}
	return q.EnsureScreeningSource(ctx, db.EnsureScreeningSourceParams{ID: src.ID, Name: src.Name, Kind: src.Kind, Format: formatNames[src.Format]})
}

// diffAgainst compares entries with the previous version's by id and
// content hash, and returns each entry's hash in the order given.
func diffAgainst(ctx context.Context, q *db.Queries, prev *db.ScreeningListVersion, entries []Entry) (Diff, [][]byte, error) {
	old := map[string][]byte{}
	if prev != nil {
		rows, err := q.ScreeningEntryHashes(ctx, prev.ID)
		if err != nil {
			return Diff{}, nil, err
		}
		for _, r := range rows {
			old[r.SourceEntryID] = r.ContentHash
		}
	}
	d := Diff{Added: []string{}, Removed: []string{}, Changed: []string{}}
	hashes := make([][]byte, len(entries))
	seen := make(map[string]bool, len(entries))
	for i, e := range entries {
		hashes[i] = e.Hash()
		seen[e.ID] = true
		h, ok := old[e.ID]
		switch {
		case !ok:
			d.Added = append(d.Added, e.ID)
		case !bytes.Equal(h, hashes[i]):
			d.Changed = append(d.Changed, e.ID)
		}
	}
	for id := range old {
		if !seen[id] {
			d.Removed = append(d.Removed, id)
		}
	}
	for _, ids := range [][]string{d.Added, d.Removed, d.Changed} {
		slices.SortFunc(ids, compareIDs)
	}
	return d, hashes, nil
}

// compareIDs orders entry ids as numbers when both are (OFAC, UN), else as
// text.
func compareIDs(a, b string) int {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// recordFailure keeps a refused load in the source's history, in its own
// transaction: the load itself wrote nothing.
func (s *Service) recordFailure(ctx context.Context, src Source, file string, cause error) error {
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		if err := ensureSource(ctx, q, src); err != nil {
			return err
		}
		if err := q.LockScreeningSource(ctx, src.ID); err != nil {
			return err
		}
		seq, err := q.NextScreeningVersionSeq(ctx, src.ID)
		if err != nil {
			return err
		}
		v, err := q.InsertScreeningVersion(ctx, db.InsertScreeningVersionParams{
			ID: uuid.New(), SourceID: src.ID, Seq: seq, Status: "FAILED", LoadedBy: actorName(ctx),
			FileName: file, Error: cause.Error(),
		})
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{
			Action: "screening.list.refused", EntityType: "screening_list_version", EntityID: v.ID.String(),
			After: map[string]any{"source": src.ID, "version": v.Seq, "file": file, "error": cause.Error()},
		})
	})
	if err != nil {
		return fmt.Errorf("screening: record refused load: %w", err)
	}
	return nil
}

// Versions lists a source's versions, newest first; every source's when
// source is empty.
func (s *Service) Versions(ctx context.Context, source string, limit int) ([]Version, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []Version
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		rows, err := q.ListScreeningVersions(ctx, db.ListScreeningVersionsParams{SourceID: source, MaxRows: int32(limit)})
		for _, r := range rows {
			out = append(out, versionOf(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("screening: versions: %w", err)
	}
	return out, nil
}

// Change is one entry a version added, removed or changed.
type Change struct {
	Change  string // ADDED, REMOVED or CHANGED
	EntryID string
	Name    string
	Type    EntryType
}

// Changes lists what a version changed, optionally only one kind of
// change, for people to review.
func (s *Service) Changes(ctx context.Context, versionID uuid.UUID, change string, limit int) ([]Change, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	var out []Change
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		if _, err := q.ScreeningVersionByID(ctx, versionID); err != nil {
			return err
		}
		rows, err := q.ScreeningVersionChanges(ctx, db.ScreeningVersionChangesParams{VersionID: versionID, Change: change, MaxRows: int32(limit)})
		for _, r := range rows {
			out = append(out, Change{Change: r.Change, EntryID: r.SourceEntryID, Name: r.PrimaryName, Type: EntryType(r.Type)})
		}
		return err
	})
	if db.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "no such list version")
	}
	if err != nil {
		return nil, fmt.Errorf("screening: changes: %w", err)
	}
	return out, nil
}

// PublishedTime is a version's publication date as a time (midnight UTC),
// when it is a whole date.
func PublishedTime(published string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(published))
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
