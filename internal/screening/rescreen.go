package screening

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

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
	// The whole of every list, as a new screening sees it: a subject the
	// changed entries match is screened against it, so that the hit is
	// the one a screening would make, with the same person's entries on
	// other lists among its sources.
	if _, err := s.Refresh(ctx); err != nil {
		return res, fmt.Errorf("screening: rescreen: %w", err)
	}
	full, err := s.index(ctx)
	if err != nil {
		return res, fmt.Errorf("screening: rescreen: %w", err)
	}
	entries := entriesFromRows(rows)
	r := &rescreen{s: s, ix: BuildIndex([]List{{Ref: ref, Entries: entries}}), full: full, source: ref.Source,
		changed: map[entryKey]bool{}, opts: map[uuid.UUID]SearchOptions{}}
	for _, e := range entries {
		r.changed[entryKey{ref.Source, e.ID}] = true
	}
	err = r.run(ctx, subjects, listIdentifiers(entries), &res)
	res.Elapsed = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("screening: rescreen: %w", err)
	}
	return res, nil
}

// IdentifiedSubjects may be offered by Subjects: the subjects who hold one
// of some identifiers (a passport or national id number the subject gave
// or that was read from their document), each with all of theirs. A
// re-screening asks it for the identifiers of the entries it screens
// against, so that a listed document number raises a hit whatever the
// name, as it does when the subject is screened.
type IdentifiedSubjects interface {
	Holding(ctx context.Context, ids []Identifier) ([]Subject, error)
}

// listIdentifiers are the entries' identifiers, each once.
func listIdentifiers(entries []Entry) []Identifier {
	var out []Identifier
	seen := map[Identifier]bool{}
	for _, e := range entries {
		for _, id := range tidyIdentifiers(e.Identifiers) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Work is split this way: one goroutine reads the subjects and hands them
// on in chunks; one worker per core screens a chunk; this goroutine writes
// the hits, a batch of subjects with matches per transaction, while the
// reading and screening go on.
const (
	rescreenChunk = 512
	// hitBatch is how many subjects with matches are written per
	// transaction.
	hitBatch = 500
)

// rescreen is one re-screening's state.
type rescreen struct {
	s       *Service
	ix      *Index // the changed entries only
	full    *Index // every list's current version
	source  string
	changed map[entryKey]bool
	opts    map[uuid.UUID]SearchOptions // by tenant; read by the reader only
}

type screenJob struct {
	sub  Subject
	opts SearchOptions
}

func (r *rescreen) run(parent context.Context, subjects Subjects, ids []Identifier, res *RescreenResult) error {
	// The writer works on parent: it writes what is found to the end. A
	// failure to write stops the reading and screening through cancel.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan []screenJob, 2*runtime.NumCPU())
	found := make(chan []subjectMatches, 2*runtime.NumCPU())

	// Subjects holding a listed identifier are screened with their
	// identifiers first; the walk below skips them.
	var holders map[uuid.UUID]bool
	if is, ok := subjects.(IdentifiedSubjects); ok && len(ids) > 0 {
		held, err := is.Holding(ctx, ids)
		if err != nil {
			return err
		}
		holders = map[uuid.UUID]bool{}
		var chunk []screenJob
		for _, sub := range held {
			job, ok, err := r.job(ctx, sub)
			if err != nil {
				return err
			}
			holders[sub.ID] = true
			if ok {
				chunk = append(chunk, job)
			}
		}
		res.Subjects += len(held)
		if len(chunk) > 0 {
			jobs <- chunk
		}
	}
	g.Go(func() error {
		defer close(jobs)
		var chunk []screenJob
		err := subjects.EachActive(ctx, func(sub Subject) error {
			if holders[sub.ID] {
				return nil
			}
			res.Subjects++
			job, ok, err := r.job(ctx, sub)
			if err != nil || !ok {
				return err
			}
			if chunk = append(chunk, job); len(chunk) == rescreenChunk {
				select {
				case jobs <- chunk:
				case <-ctx.Done():
					return ctx.Err()
				}
				chunk = make([]screenJob, 0, rescreenChunk)
			}
			return nil
		})
		if err == nil && len(chunk) > 0 {
			select {
			case jobs <- chunk:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		return err
	})
	var workers sync.WaitGroup
	for range runtime.NumCPU() {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			for chunk := range jobs {
				var out []subjectMatches
				for _, j := range chunk {
					if m := r.screen(j); len(m) > 0 {
						out = append(out, subjectMatches{sub: j.sub, matches: m})
					}
				}
				if len(out) == 0 {
					continue
				}
				select {
				case found <- out:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	go func() { workers.Wait(); close(found) }()

	pending := map[uuid.UUID][]subjectMatches{} // by tenant
	var werr error
	flush := func(tenantID uuid.UUID) {
		if werr != nil {
			return
		}
		hits, err := r.s.recordHits(parent, tenantID, pending[tenantID], r.changed)
		res.NewHits += len(hits)
		delete(pending, tenantID)
		if werr = err; err != nil {
			cancel()
		}
	}
	for batch := range found {
		for _, sm := range batch {
			tn := sm.sub.TenantID
			if pending[tn] = append(pending[tn], sm); len(pending[tn]) >= hitBatch {
				flush(tn)
			}
		}
	}
	err := g.Wait()
	for tenantID := range pending {
		flush(tenantID)
	}
	if werr != nil {
		return werr // the others stopped because of it
	}
	return err
}

// job pairs a subject with the options of its tenant's search, and reports
// false when the tenant does not screen against the list.
func (r *rescreen) job(ctx context.Context, sub Subject) (screenJob, bool, error) {
	opts, ok := r.opts[sub.TenantID]
	if !ok {
		st, err := r.s.Settings(ctx, sub.TenantID)
		if err != nil {
			return screenJob{}, false, err
		}
		opts = optionsOf(st)
		r.opts[sub.TenantID] = opts
	}
	if !opts.Sources[r.source] {
		return screenJob{}, false, nil
	}
	if sub.Enhanced {
		opts = enhancedOptions(opts)
	}
	sub.Identifiers = usableIdentifiers(sub.Identifiers)
	return screenJob{sub: sub, opts: opts}, true, nil
}

// screen finds what the changed entries mean for one subject: nothing,
// when none of them matches; otherwise the matches of a whole screening
// that stand for one of them (with the same person's other entries), and
// any match on a changed entry that no such match stands for.
func (r *rescreen) screen(j screenJob) []Match {
	q := j.sub.query()
	first := r.ix.Search(q, j.opts)
	if len(first) == 0 {
		return nil
	}
	var out []Match
	covered := map[entryKey]bool{}
	for _, m := range r.full.Search(q, j.opts) {
		if !slices.ContainsFunc(m.Sources, func(src MatchSource) bool { return r.changed[entryKey{src.Source, src.EntryID}] }) {
			continue
		}
		out = append(out, m)
		for _, src := range m.Sources {
			covered[entryKey{src.Source, src.EntryID}] = true
		}
	}
	for _, m := range first {
		if !covered[entryKey{m.Source, m.EntryID}] {
			out = append(out, m)
		}
	}
	return out
}
