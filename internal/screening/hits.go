package screening

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// Subject is someone a tenant screens: a customer.
type Subject struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Name     string
	// Type is what the subject is; INDIVIDUAL when empty.
	Type        EntryType
	DateOfBirth string // YYYY-MM-DD, YYYY-MM or YYYY; optional
	Country     string // ISO 3166-1 alpha-2; optional
	// Enhanced screens with the stricter threshold (EnhancedPossible):
	// a categorisation's sanctionsCheck ENHANCED asks for it.
	Enhanced bool
	// Identifiers are the subject's documents as read or given (passport
	// number from the MRZ, national ids, ...); optional.
	Identifiers []Identifier
}

func (sub Subject) query() Query {
	t := sub.Type
	if t == "" {
		t = Individual
	}
	return Query{Name: sub.Name, Type: t, DateOfBirth: sub.DateOfBirth, Country: sub.Country, Identifiers: sub.Identifiers}
}

// HitStatus is where a hit stands in review.
type HitStatus string

// The hit statuses.
const (
	HitOpen      HitStatus = "OPEN"
	HitConfirmed HitStatus = "CONFIRMED"
	HitDismissed HitStatus = "DISMISSED"
)

// Hit is a match on a subject, for analysts to confirm or dismiss.
type Hit struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	SubjectID   uuid.UUID
	SubjectName string
	Source      string
	EntryID     string
	VersionID   uuid.UUID
	EntryName   string
	EntryType   EntryType
	MatchedName string
	Score       float64
	MatchStatus MatchStatus
	Explanation Explanation
	// Sources are the entries, on this list and others, that are this
	// hit's subject, its own entry first.
	Sources   []MatchSource
	Status    HitStatus
	DecidedBy string
	DecidedAt *time.Time
	Note      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func hitOf(r db.ScreeningHit) Hit {
	h := Hit{
		ID: r.ID, TenantID: r.TenantID, SubjectID: r.SubjectID, SubjectName: r.SubjectName, Source: r.SourceID,
		EntryID: r.SourceEntryID, VersionID: r.VersionID, EntryName: r.EntryName, EntryType: EntryType(r.EntryType),
		MatchedName: r.MatchedName, Score: r.Score, MatchStatus: MatchStatus(r.MatchStatus), Status: HitStatus(r.Status),
		DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt, Note: r.Note, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	_ = json.Unmarshal(r.Explanation, &h.Explanation) // written by recordHits; an old shape only loses detail
	_ = json.Unmarshal(r.Sources, &h.Sources)
	if len(h.Sources) == 0 { // a hit made before hits kept their sources
		h.Sources = []MatchSource{{Source: h.Source, EntryID: h.EntryID, Name: h.EntryName, Score: h.Score, Status: h.MatchStatus}}
	}
	return h
}

// ScreenResult is a subject's screening: every match, and the hits that
// are new. A match the subject already has a hit on (open, confirmed or
// dismissed) for the entry's current content makes no new hit.
type ScreenResult struct {
	Result
	NewHits []Hit
}

// ScreenSubject screens a subject against every list its tenant screens
// against and records new hits, each with a screening.hit.created event.
func (s *Service) ScreenSubject(ctx context.Context, sub Subject) (ScreenResult, error) {
	if sub.ID == uuid.Nil || sub.TenantID == uuid.Nil {
		return ScreenResult{}, apperr.Validation(apperr.FieldError{Field: "subjectId", Issue: "a subject needs an id and a tenant"})
	}
	sub.Identifiers = usableIdentifiers(sub.Identifiers)
	q, err := validateQuery(sub.query())
	if err != nil {
		return ScreenResult{}, err
	}
	res, err := s.search(ctx, sub.TenantID, q, sub.Enhanced)
	if err != nil {
		return ScreenResult{}, err
	}
	hits, err := s.recordHits(ctx, sub.TenantID, []subjectMatches{{sub: sub, matches: res.Matches}}, nil)
	if err != nil {
		return ScreenResult{}, err
	}
	return ScreenResult{Result: res, NewHits: hits}, nil
}

type subjectMatches struct {
	sub     Subject
	matches []Match
}

// entryKey names one entry of one list.
type entryKey struct{ source, entry string }

// heldHits is what a subject's hits are about, to tell whether a match is
// news: the entries of its open and confirmed hits (each hit's own and
// the others it stands for), of its dismissed ones, and each hit's own
// entry with the content it saw.
type heldHits struct {
	live, dismissed map[entryKey]bool
	seen            map[entryKey][][]byte
}

// covers reports whether the subject's hits already tell an analyst of m.
// A hit on the entry as it stands does (whatever its status); so does an
// open or confirmed hit on any of the entries m stands for, the same
// person on another list included. A dismissed hit on one of m's other
// entries does too, unless one of m's entries changed (changed, from a
// re-screening): the person was judged to be someone else, and only news
// of them reopens that. A dismissed hit on m's own entry with other
// content does not: the entry changed since.
func (h heldHits) covers(m Match, changed map[entryKey]bool) bool {
	own := entryKey{m.Source, m.EntryID}
	for _, hash := range h.seen[own] {
		if bytes.Equal(hash, m.entryHash) {
			return true
		}
	}
	anyChanged := false
	for _, src := range m.Sources {
		if changed[entryKey{src.Source, src.EntryID}] {
			anyChanged = true
		}
	}
	for _, src := range m.Sources {
		k := entryKey{src.Source, src.EntryID}
		if h.live[k] || h.dismissed[k] && k != own && !anyChanged {
			return true
		}
	}
	return false
}

// heldHitsOf reads what the subjects' hits are about.
func heldHitsOf(ctx context.Context, q *db.Queries, tenantID uuid.UUID, subjects []uuid.UUID) (map[uuid.UUID]*heldHits, error) {
	rows, err := q.ScreeningHitsOfSubjects(ctx, db.ScreeningHitsOfSubjectsParams{TenantID: tenantID, SubjectIds: subjects})
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID]*heldHits{}
	for _, r := range rows {
		h := out[r.SubjectID]
		if h == nil {
			h = &heldHits{live: map[entryKey]bool{}, dismissed: map[entryKey]bool{}, seen: map[entryKey][][]byte{}}
			out[r.SubjectID] = h
		}
		own := entryKey{r.SourceID, r.SourceEntryID}
		h.seen[own] = append(h.seen[own], r.EntryHash)
		var sources []MatchSource
		_ = json.Unmarshal(r.Sources, &sources) // written by recordHits; an old hit has only its own entry
		keys := []entryKey{own}
		for _, src := range sources {
			keys = append(keys, entryKey{src.Source, src.EntryID})
		}
		for _, k := range keys {
			if r.Status == string(HitDismissed) {
				h.dismissed[k] = true
			} else {
				h.live[k] = true
			}
		}
	}
	return out, nil
}

// recordHits writes the hits of one tenant's subjects in one transaction:
// a hit, its audit record and its event for each match that is news (see
// heldHits.covers; changed are the entries a re-screening's version added
// or changed, nil otherwise). It takes three round trips however many
// hits there are: the subjects' hits, the new hits in one statement, and
// their audit records and events in one batch.
func (s *Service) recordHits(ctx context.Context, tenantID uuid.UUID, batch []subjectMatches, changed map[entryKey]bool) ([]Hit, error) {
	var subjects []uuid.UUID
	for _, sm := range batch {
		if len(sm.matches) > 0 {
			subjects = append(subjects, sm.sub.ID)
		}
	}
	if len(subjects) == 0 {
		return nil, nil
	}
	var created []Hit
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		created = created[:0]
		held, err := heldHitsOf(ctx, q, tenantID, subjects)
		if err != nil {
			return err
		}
		p := db.InsertScreeningHitsParams{TenantID: tenantID}
		listVersion := map[uuid.UUID]int{}
		for _, sm := range batch {
			h := held[sm.sub.ID]
			for _, m := range sm.matches {
				if h != nil && h.covers(m, changed) {
					continue
				}
				exp, err := json.Marshal(m.Explanation)
				if err != nil {
					return err
				}
				sources, err := json.Marshal(m.Sources)
				if err != nil {
					return err
				}
				id := uuid.New()
				listVersion[id] = m.ListVersion
				p.Ids = append(p.Ids, id)
				p.SubjectIds = append(p.SubjectIds, sm.sub.ID)
				p.SubjectNames = append(p.SubjectNames, sm.sub.Name)
				p.SourceIds = append(p.SourceIds, m.Source)
				p.SourceEntryIds = append(p.SourceEntryIds, m.EntryID)
				p.VersionIds = append(p.VersionIds, m.versionID)
				p.EntryHashes = append(p.EntryHashes, m.entryHash)
				p.EntryNames = append(p.EntryNames, m.Name)
				p.EntryTypes = append(p.EntryTypes, string(m.Type))
				p.MatchedNames = append(p.MatchedNames, m.MatchedName)
				p.Scores = append(p.Scores, m.Score)
				p.MatchStatuses = append(p.MatchStatuses, string(m.Status))
				p.Explanations = append(p.Explanations, exp)
				p.Sources = append(p.Sources, sources)
				if h == nil {
					h = &heldHits{live: map[entryKey]bool{}, dismissed: map[entryKey]bool{}, seen: map[entryKey][][]byte{}}
					held[sm.sub.ID] = h
				}
				// The next match of the same person in this batch is
				// covered by this one.
				for _, src := range m.Sources {
					h.live[entryKey{src.Source, src.EntryID}] = true
				}
			}
		}
		if len(p.Ids) == 0 {
			return nil
		}
		rows, err := q.InsertScreeningHits(ctx, p)
		if err != nil {
			return err
		}
		// In the order of the matches, as a screening lists them.
		at := make(map[uuid.UUID]int, len(p.Ids))
		for i, id := range p.Ids {
			at[id] = i
		}
		slices.SortFunc(rows, func(a, b db.ScreeningHit) int { return cmp.Compare(at[a.ID], at[b.ID]) })
		var queued db.Queued
		qq := queued.Queries()
		for _, row := range rows {
			h := hitOf(row)
			summary := map[string]any{
				"hitId": h.ID, "subjectId": h.SubjectID, "source": h.Source, "entryId": h.EntryID,
				"listVersion": listVersion[h.ID], "entryName": h.EntryName, "matchedName": h.MatchedName,
				"score": h.Score, "matchStatus": h.MatchStatus, "status": h.Status, "sources": h.Sources,
			}
			if err := audit.Write(ctx, qq, audit.Entry{
				TenantID: tenantID, Action: "screening.hit.created", EntityType: "screening_hit",
				EntityID: h.ID.String(), After: summary,
			}); err != nil {
				return err
			}
			if _, err := event.Write(ctx, qq, event.Event{
				TenantID: tenantID, Type: "screening.hit.created", EntityType: "screening_hit",
				EntityID: h.ID.String(), Payload: summary,
			}); err != nil {
				return err
			}
			created = append(created, h)
		}
		return queued.Send(ctx, q)
	})
	if err != nil {
		return nil, fmt.Errorf("screening: record hits: %w", err)
	}
	return created, nil
}

// Decision is an analyst's verdict on a hit.
type Decision struct {
	Status HitStatus // CONFIRMED or DISMISSED
	Note   string
}

// Notes longer than this are refused.
const maxNote = 4000

// DecideHit confirms or dismisses an open hit with a note, audited, with a
// screening.hit.decided event. A dismissed hit stays dismissed: the same
// subject and entry raise no new hit until the entry changes.
func (s *Service) DecideHit(ctx context.Context, tenantID, hitID uuid.UUID, d Decision) (Hit, error) {
	var fe apperr.Fields
	d.Note = strings.TrimSpace(d.Note)
	if d.Status != HitConfirmed && d.Status != HitDismissed {
		fe.Add("status", "use CONFIRMED or DISMISSED")
	}
	switch {
	case d.Note == "":
		fe.Add("note", "is required: write why the hit is or is not this person (for example, a different date of birth or nationality), for the audit trail")
	case len(d.Note) > maxNote:
		fe.Add("note", "a note may have at most %d characters", maxNote)
	}
	if err := fe.Err(); err != nil {
		return Hit{}, err
	}
	var out Hit
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		before, err := q.LockScreeningHit(ctx, db.LockScreeningHitParams{TenantID: tenantID, ID: hitID})
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "no such hit")
		}
		if err != nil {
			return err
		}
		if before.Status != string(HitOpen) {
			return apperr.New(apperr.Conflict, "the hit was already %s", strings.ToLower(before.Status))
		}
		row, err := q.DecideScreeningHit(ctx, db.DecideScreeningHitParams{
			TenantID: tenantID, ID: hitID, Status: string(d.Status), Note: d.Note, DecidedBy: decider(ctx),
		})
		if err != nil {
			return err
		}
		out = hitOf(row)
		if err := audit.Write(ctx, q, audit.Entry{
			TenantID: tenantID, Action: "screening.hit." + strings.ToLower(string(d.Status)), EntityType: "screening_hit",
			EntityID: hitID.String(), CustomerID: row.SubjectID, ReasonCode: string(d.Status),
			Before: map[string]any{"status": before.Status},
			After:  map[string]any{"status": row.Status, "note": row.Note, "decidedBy": row.DecidedBy},
		}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{
			TenantID: tenantID, Type: "screening.hit.decided", EntityType: "screening_hit", EntityID: hitID.String(),
			Payload: map[string]any{"hitId": hitID, "subjectId": row.SubjectID, "status": row.Status, "source": row.SourceID, "entryId": row.SourceEntryID},
		})
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Hit{}, err
		}
		return Hit{}, fmt.Errorf("screening: decide hit: %w", err)
	}
	return out, nil
}

// decider names the actor deciding, as the hit records it.
func decider(ctx context.Context) string {
	a := actor.From(ctx)
	switch {
	case a.ID != "" && a.Name != "":
		return a.Name + " (" + a.ID + ")"
	case a.ID != "":
		return a.ID
	}
	return a.Name
}

// GetHit returns one of the tenant's hits.
func (s *Service) GetHit(ctx context.Context, tenantID, hitID uuid.UUID) (Hit, error) {
	var out Hit
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		row, err := q.ScreeningHitByID(ctx, db.ScreeningHitByIDParams{TenantID: tenantID, ID: hitID})
		out = hitOf(row)
		return err
	})
	if db.IsNotFound(err) {
		return Hit{}, apperr.New(apperr.NotFound, "no such hit")
	}
	if err != nil {
		return Hit{}, fmt.Errorf("screening: hit: %w", err)
	}
	return out, nil
}

// HitFilter narrows a list of hits.
type HitFilter struct {
	Status    HitStatus  // empty: any
	SubjectID *uuid.UUID // nil: any
	Limit     int        // 0: 100
}

// ListHits lists the tenant's hits, newest first: the review queue is
// ListHits with Status OPEN.
func (s *Service) ListHits(ctx context.Context, tenantID uuid.UUID, f HitFilter) ([]Hit, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	if f.Status != "" && f.Status != HitOpen && f.Status != HitConfirmed && f.Status != HitDismissed {
		return nil, apperr.Validation(apperr.FieldError{Field: "status", Issue: "use OPEN, CONFIRMED or DISMISSED"})
	}
	var out []Hit
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		rows, err := q.ListScreeningHits(ctx, db.ListScreeningHitsParams{
			TenantID: tenantID, Status: string(f.Status), SubjectID: f.SubjectID, MaxRows: int32(f.Limit),
		})
		for _, r := range rows {
			out = append(out, hitOf(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("screening: list hits: %w", err)
	}
	return out, nil
}
