package screening

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// QueueFilter narrows the hits queue.
type QueueFilter struct {
	Status   HitStatus // empty: every status, open ones first
	Source   string    // empty: every source
	MinScore float64   // 0: any score
	Offset   int
	Limit    int // 0: 50
}

// QueuePage is a page of the hits queue: open hits first, oldest first.
type QueuePage struct {
	Hits  []Hit
	Total int64
	// Counts are the hits per status under the filter's source and score.
	Counts map[HitStatus]int64
	// Sources are the sources the tenant has hits from, for the filter.
	Sources []string
}

// HitQueue is a page of the tenant's hits queue.
func (s *Service) HitQueue(ctx context.Context, tenantID uuid.UUID, f QueueFilter) (QueuePage, error) {
	var fe apperr.Fields
	if f.Status != "" && f.Status != HitOpen && f.Status != HitConfirmed && f.Status != HitDismissed {
		fe.Add("status", "use OPEN, CONFIRMED or DISMISSED")
	}
	if f.MinScore < 0 || f.MinScore > 1 || math.IsNaN(f.MinScore) {
		fe.Add("minScore", "use a number between 0 and 1")
	}
	if err := fe.Err(); err != nil {
		return QueuePage{}, err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	f.Offset = max(f.Offset, 0)
	out := QueuePage{Counts: map[HitStatus]int64{}}
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		rows, err := q.ScreeningHitQueue(ctx, db.ScreeningHitQueueParams{
			TenantID: tenantID, Status: string(f.Status), SourceID: f.Source, MinScore: f.MinScore,
			Skip: int32(f.Offset), MaxRows: int32(f.Limit),
		})
		if err != nil {
			return err
		}
		for _, r := range rows {
			out.Hits = append(out.Hits, hitOf(r))
		}
		if out.Total, err = q.CountScreeningHitQueue(ctx, db.CountScreeningHitQueueParams{
			TenantID: tenantID, Status: string(f.Status), SourceID: f.Source, MinScore: f.MinScore,
		}); err != nil {
			return err
		}
		counts, err := q.CountScreeningHitsByStatus(ctx, db.CountScreeningHitsByStatusParams{TenantID: tenantID, SourceID: f.Source, MinScore: f.MinScore})
		if err != nil {
			return err
		}
		for _, c := range counts {
			out.Counts[HitStatus(c.Status)] = c.N
		}
		out.Sources, err = q.ScreeningHitSources(ctx, tenantID)
		return err
	})
	if err != nil {
		return QueuePage{}, fmt.Errorf("screening: queue: %w", err)
	}
	return out, nil
}

// OpenHits counts the tenant's open hits and says since when the oldest
// waits (nil when none does), for the dashboard.
func (s *Service) OpenHits(ctx context.Context, tenantID uuid.UUID) (int64, *time.Time, error) {
	var n int64
	var oldest *time.Time
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		var err error
		if n, err = q.CountOpenScreeningHits(ctx, tenantID); err != nil || n == 0 {
			return err
		}
		at, err := q.OldestOpenScreeningHit(ctx, tenantID)
		oldest = &at
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("screening: open hits: %w", err)
	}
	return n, oldest, nil
}

// EntryState says how a hit's entry stands in the source's current
// version.
type EntryState string

// The entry states.
const (
	EntryUnchanged EntryState = "UNCHANGED" // the current version has it as the hit saw it
	EntryChanged   EntryState = "CHANGED"   // the current version has it with other content
	EntryRemoved   EntryState = "REMOVED"   // the current version no longer has it
)

// EarlierHit is an earlier hit of the same subject on the same entry,
// with what changed in the entry between it and this hit.
type EarlierHit struct {
	Hit
	ListVersion int
	Changes     []FieldChange
}

// HitDetail is a hit with the list entry it is about, as the hit saw it,
// and its history.
type HitDetail struct {
	Hit
	Entry       Entry
	ListKind    string
	ListVersion int
	// Current is how the entry stands in the source's current version,
	// and CurrentVersion that version's number.
	Current        EntryState
	CurrentVersion int
	// Earlier are the subject's earlier hits on the entry (each on other
	// content: a decided hit holds while the entry stays as it was).
	Earlier []EarlierHit
}

// HitDetail returns one of the tenant's hits with its entry and history.
func (s *Service) HitDetail(ctx context.Context, tenantID, hitID uuid.UUID) (HitDetail, error) {
	var out HitDetail
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		row, err := q.ScreeningHitByID(ctx, db.ScreeningHitByIDParams{TenantID: tenantID, ID: hitID})
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "no such hit")
		}
		if err != nil {
			return err
		}
		out.Hit = hitOf(row)
		entry, err := q.ScreeningEntry(ctx, db.ScreeningEntryParams{VersionID: row.VersionID, SourceEntryID: row.SourceEntryID})
		if err != nil {
			return err
		}
		out.Entry = entryOf(entry)
		v, err := q.ScreeningVersionByID(ctx, row.VersionID)
		if err != nil {
			return err
		}
		out.ListVersion = int(v.Seq)
		sources, err := q.ListScreeningSources(ctx)
		if err != nil {
			return err
		}
		for _, src := range sources {
			if src.ID == row.SourceID {
				out.ListKind = src.Kind
			}
		}
		out.Current = EntryRemoved
		cur, err := q.CurrentScreeningVersion(ctx, row.SourceID)
		if err != nil && !db.IsNotFound(err) {
			return err
		}
		if err == nil {
			out.CurrentVersion = int(cur.Seq)
			now, err := q.ScreeningEntry(ctx, db.ScreeningEntryParams{VersionID: cur.ID, SourceEntryID: row.SourceEntryID})
			switch {
			case err == nil && bytes.Equal(now.ContentHash, row.EntryHash):
				out.Current = EntryUnchanged
			case err == nil:
				out.Current = EntryChanged
			case !db.IsNotFound(err):
				return err
			}
		}
		earlier, err := q.ScreeningHitsOnEntry(ctx, db.ScreeningHitsOnEntryParams{
			TenantID: tenantID, SubjectID: row.SubjectID, SourceID: row.SourceID, SourceEntryID: row.SourceEntryID,
		})
		if err != nil {
			return err
		}
		for _, e := range earlier {
			if e.ID == row.ID || !e.CreatedAt.Before(row.CreatedAt) {
				continue
			}
			eh := EarlierHit{Hit: hitOf(e)}
			if ev, err := q.ScreeningVersionByID(ctx, e.VersionID); err == nil {
				eh.ListVersion = int(ev.Seq)
			}
			old, err := q.ScreeningEntry(ctx, db.ScreeningEntryParams{VersionID: e.VersionID, SourceEntryID: e.SourceEntryID})
			if err == nil {
				eh.Changes = FieldChanges(entryOf(old), out.Entry)
			} else if !db.IsNotFound(err) {
				return err
			}
			out.Earlier = append(out.Earlier, eh)
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return HitDetail{}, err
		}
		return HitDetail{}, fmt.Errorf("screening: hit: %w", err)
	}
	return out, nil
}

func entryOf(r db.ScreeningEntry) Entry {
	return entriesFromRows([]db.ScreeningEntry{r})[0]
}
