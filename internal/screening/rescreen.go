package screening

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Subjects gives the subjects to re-screen. The customer package
// implements it over its customers; tests use a fake.
type Subjects interface {
	// EachActive calls fn for every active subject of every tenant, and
	// stops at the first error fn returns.
	EachActive(ctx context.Context, fn func(Subject) error) error
}

// RescreenResult says what a re-screening did.
type RescreenResult struct {
	Version  ListRef
	Entries  int // the added and changed entries screened against
	Subjects int
	NewHits  int
	Elapsed  time.Duration
}

// hitBatch is how many subjects with matches are written per transaction.
const hitBatch = 200

// Rescreen screens every active subject against the entries a version
// added or changed (not the whole list: the rest was screened before) and
// records new hits with screening.hit.created events. A subject whose hit
// on an entry was dismissed gets a new one only when the entry changed.
func (s *Service) Rescreen(ctx context.Context, versionID uuid.UUID, subjects Subjects) (RescreenResult, error) {
	start := time.Now()
	var v db.ScreeningListVersion
	var src db.ScreeningSource
	var rows []db.ScreeningEntry
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		if v, err = q.ScreeningVersionByID(ctx, versionID); err != nil {
			return err
		}
		sources, err := q.ListScreeningSources(ctx)
		if err != nil {
			return err
		}
		for _, x := range sources {
			if x.ID == v.SourceID {
				src = x
			}
		}
		if rows, err = q.ScreeningChangedEntries(ctx, versionID); err != nil {
			return err
		}
		// A version superseded before its re-screening ran: what a later
		// version changed again or removed is that version's to screen, or
		// gone; only entries still as this version has them are screened.
		if v.Status == "SUPERSEDED" {
			cur, err := q.CurrentScreeningVersion(ctx, v.SourceID)
			if err != nil && !db.IsNotFound(err) {
				return err
			}
			now := map[string][]byte{}
			if err == nil {
				hashes, err := q.ScreeningEntryHashes(ctx, cur.ID)
				if err != nil {
					return err
				}
				for _, h := range hashes {
					now[h.SourceEntryID] = h.ContentHash
				}
			}
			rows = slices.DeleteFunc(rows, func(r db.ScreeningEntry) bool { return !bytes.Equal(now[r.SourceEntryID], r.ContentHash) })
		}
		return nil
	})
	if db.IsNotFound(err) {
		return RescreenResult{}, apperr.New(apperr.NotFound, "no such list version")
	}
	if err != nil {
		return RescreenResult{}, fmt.Errorf("screening: rescreen: %w", err)
	}
	if v.Status == "FAILED" {
		return RescreenResult{}, apperr.New(apperr.Conflict, "version %d of %s was refused; there is nothing to re-screen against", v.Seq, v.SourceID)
	}
	ref := listRef(v, src.Kind)
	res := RescreenResult{Version: ref, Entries: len(rows)}
	if len(rows) == 0 {
		res.Elapsed = time.Since(start)
		return res, nil
	}
	ix := BuildIndex([]List{{Ref: ref, Entries: entriesFromRows(rows)}})

	pending := map[uuid.UUID][]subjectMatches{} // by tenant
	flush := func(tenantID uuid.UUID) error {
		hits, err := s.recordHits(ctx, tenantID, pending[tenantID])
		res.NewHits += len(hits)
		delete(pending, tenantID)
		return err
	}
	optsByTenant := map[uuid.UUID]SearchOptions{}
	err = subjects.EachActive(ctx, func(sub Subject) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		res.Subjects++
		opts, ok := optsByTenant[sub.TenantID]
		if !ok {
			st, err := s.Settings(ctx, sub.TenantID)
			if err != nil {
				return err
			}
			opts = optionsOf(st)
			optsByTenant[sub.TenantID] = opts
		}
		if !opts.Sources[ref.Source] {
			return nil
		}
		matches := ix.Search(sub.query(), opts)
		if len(matches) == 0 {
			return nil
		}
		pending[sub.TenantID] = append(pending[sub.TenantID], subjectMatches{sub: sub, matches: matches})
		if len(pending[sub.TenantID]) >= hitBatch {
			return flush(sub.TenantID)
		}
		return nil
	})
	for tenantID := range pending {
		err = errors.Join(err, flush(tenantID))
	}
	res.Elapsed = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("screening: rescreen: %w", err)
	}
	return res, nil
}
