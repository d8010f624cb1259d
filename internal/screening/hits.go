package screening

import (
	"context"
	"encoding/json"
	"fmt"
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
	hits, err := s.recordHits(ctx, sub.TenantID, []subjectMatches{{sub: sub, matches: res.Matches}})
	if err != nil {
		return ScreenResult{}, err
	}
	return ScreenResult{Result: res, NewHits: hits}, nil
}

type subjectMatches struct {
	sub     Subject
	matches []Match
}

// recordHits writes the hits of one tenant's subjects in one transaction:
// a hit, its audit record and its event for each match that is new.
func (s *Service) recordHits(ctx context.Context, tenantID uuid.UUID, batch []subjectMatches) ([]Hit, error) {
	var created []Hit
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		created = created[:0]
		for _, sm := range batch {
			for _, m := range sm.matches {
				exp, err := json.Marshal(m.Explanation)
				if err != nil {
					return err
				}
				sources, err := json.Marshal(m.Sources)
				if err != nil {
					return err
				}
				row, err := q.InsertScreeningHit(ctx, db.InsertScreeningHitParams{
					ID: uuid.New(), TenantID: tenantID, SubjectID: sm.sub.ID, SubjectName: sm.sub.Name,
					SourceID: m.Source, SourceEntryID: m.EntryID, VersionID: m.versionID, EntryHash: m.entryHash,
					EntryName: m.Name, EntryType: string(m.Type), MatchedName: m.MatchedName, Score: m.Score,
					MatchStatus: string(m.Status), Explanation: exp, Sources: sources,
				})
				if db.IsNotFound(err) {
					continue // the subject has a hit on this entry as it stands
				}
				if err != nil {
					return err
				}
				h := hitOf(row)
				summary := map[string]any{
					"hitId": h.ID, "subjectId": h.SubjectID, "source": h.Source, "entryId": h.EntryID,
					"listVersion": m.ListVersion, "entryName": h.EntryName, "matchedName": h.MatchedName,
					"score": h.Score, "matchStatus": h.MatchStatus, "status": h.Status, "sources": h.Sources,
				}
				if err := audit.Write(ctx, q, audit.Entry{
					TenantID: tenantID, Action: "screening.hit.created", EntityType: "screening_hit",
					EntityID: h.ID.String(), After: summary,
				}); err != nil {
					return err
				}
				if _, err := event.Write(ctx, q, event.Event{
					TenantID: tenantID, Type: "screening.hit.created", EntityType: "screening_hit",
					EntityID: h.ID.String(), Payload: summary,
				}); err != nil {
					return err
				}
				created = append(created, h)
			}
		}
		return nil
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
			EntityID: hitID.String(), ReasonCode: string(d.Status),
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
