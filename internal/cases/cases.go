// Package cases groups a customer's AML alerts and screening hits into a
// case that one owner investigates: its status, its owner, the files
// added to it (sealed like KYC documents), its closing decision with one
// of the tenant's closing reasons, and a history of everything that
// happened to it and to its alerts and hits.
package cases

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/calendar"
	eventlog "github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/kyc"
)

// Case statuses.
const (
	StatusOpen          = "OPEN"
	StatusInvestigating = "INVESTIGATING"
	StatusClosed        = "CLOSED"
)

// Statuses lists every status, in the order filters offer them.
var Statuses = []string{StatusOpen, StatusInvestigating, StatusClosed}

// MaxAttachmentBytes is the largest file a case takes: the limit of a KYC
// document.
const MaxAttachmentBytes = kyc.MaxDocumentBytes

// Service keeps cases.
type Service struct {
	pool  *pgxpool.Pool
	crypt *fieldcrypt.Keys
	now   func() time.Time
}

// NewService is the case service on pool; attachments are sealed with
// crypt. now is the clock (time.Now when nil).
func NewService(pool *pgxpool.Pool, crypt *fieldcrypt.Keys, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, crypt: crypt, now: now}
}

func errf(format string, a ...any) error { return fmt.Errorf("cases: "+format, a...) }

func errNotFound() error { return apperr.New(apperr.NotFound, "no such case") }

// passOn keeps domain errors as they are and wraps the others.
func passOn(what string, err error) error {
	if db.IsNotFound(err) {
		return errNotFound()
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	return errf("%s: %w", what, err)
}

// Case is a case as lists show it.
type Case struct {
	ID           uuid.UUID
	Number       int64
	CustomerID   uuid.UUID
	CustomerName string
	Title        string
	Status       string
	OwnerID      *uuid.UUID
	OwnerName    string
	CloseReason  string
	Alerts       int64
	Hits         int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     *time.Time
}

// IsOpen reports whether the case is still worked.
func (c Case) IsOpen() bool { return c.Status != StatusClosed }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func name(first, last string) string { return strings.TrimSpace(first + " " + last) }

func event(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, p db.CaseInsertEventParams) error {
	who := actor.From(ctx)
	p.ID, p.TenantID, p.CaseID, p.ActorID, p.ActorName = uuid.New(), tenant, id, who.ID, who.Name
	return q.CaseInsertEvent(ctx, p)
}

// CreateParams opens a case for a customer: from one of their alerts
// (AlertID) or for the customer (CustomerID).
type CreateParams struct {
	CustomerID *uuid.UUID
	AlertID    *uuid.UUID
	Title      string
}

// Create opens a case for a customer with their open alerts and open
// screening hits that are in no case yet (and the alert it was opened
// from, whatever its status). The case is audited, each alert and hit
// added is in its history.
func (s *Service) Create(ctx context.Context, tenant uuid.UUID, p CreateParams) (Case, error) {
	title := strings.Join(strings.Fields(p.Title), " ")
	if n := len([]rune(title)); n > 200 {
		return Case{}, apperr.Validation(apperr.FieldError{Field: "title", Issue: "must be at most 200 characters"})
	}
	id := uuid.New()
	var out Case
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var customer uuid.UUID
		switch {
		case p.AlertID != nil:
			a, err := q.CaseAlertOf(ctx, db.CaseAlertOfParams{TenantID: tenant, ID: *p.AlertID})
			if db.IsNotFound(err) {
				return apperr.New(apperr.NotFound, "no such alert")
			}
			if err != nil {
				return err
			}
			customer = a.CustomerID
		case p.CustomerID != nil:
			c, err := q.CaseCustomer(ctx, db.CaseCustomerParams{TenantID: tenant, ID: *p.CustomerID})
			if db.IsNotFound(err) {
				return apperr.Validation(apperr.FieldError{Field: "customer", Issue: "is not a customer of this organisation"})
			}
			if err != nil {
				return err
			}
			customer = c
		default:
			return apperr.Validation(apperr.FieldError{Field: "customer", Issue: "is required: choose the customer the case is about"})
		}
		if title == "" {
			title = "Investigation " + s.now().UTC().Format("2 Jan 2006")
		}
		k, err := q.CaseInsert(ctx, db.CaseInsertParams{ID: id, TenantID: tenant, CustomerID: customer, Title: title, CreatedBy: actor.From(ctx).Name})
		if err != nil {
			return err
		}
		if err := event(ctx, q, tenant, id, db.CaseInsertEventParams{Kind: "CREATED", Body: title}); err != nil {
			return err
		}
		alerts, err := q.CaseUnassignedAlerts(ctx, db.CaseUnassignedAlertsParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return err
		}
		if p.AlertID != nil && !slices.Contains(alerts, *p.AlertID) {
			alerts = append(alerts, *p.AlertID)
		}
		for _, a := range alerts {
			n, err := q.CaseAddAlert(ctx, db.CaseAddAlertParams{AlertID: a, CaseID: id, TenantID: tenant})
			if err != nil {
				return err
			}
			if n == 0 {
				if p.AlertID != nil && a == *p.AlertID {
					return apperr.New(apperr.Conflict, "this alert is in another case already")
				}
				continue
			}
			if err := event(ctx, q, tenant, id, db.CaseInsertEventParams{Kind: "ALERT_ADDED", AlertID: &a}); err != nil {
				return err
			}
			out.Alerts++
		}
		hits, err := q.CaseUnassignedHits(ctx, db.CaseUnassignedHitsParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return err
		}
		for _, h := range hits {
			if _, err := q.CaseAddHit(ctx, db.CaseAddHitParams{HitID: h, CaseID: id, TenantID: tenant}); err != nil {
				return err
			}
			if err := event(ctx, q, tenant, id, db.CaseInsertEventParams{Kind: "HIT_ADDED", HitID: &h}); err != nil {
				return err
			}
			out.Hits++
		}
		out.ID, out.Number, out.CustomerID, out.Title, out.Status, out.CreatedAt = k.ID, k.Number, customer, k.Title, k.Status, k.CreatedAt
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "case.created", EntityType: "case", EntityID: id.String(),
			CustomerID: customer, ReasonCode: StatusOpen, After: map[string]any{"customerId": customer, "title": title, "alerts": alerts, "hits": hits}}); err != nil {
			return err
		}
		_, err = eventlog.Write(ctx, q, eventlog.Event{TenantID: tenant, Type: "case.opened", EntityType: "case", EntityID: id.String(),
			Payload: map[string]any{"caseId": id, "customerId": customer, "alerts": out.Alerts, "hits": out.Hits}})
		return err
	})
	if err != nil {
		return Case{}, passOn("create", err)
	}
	return out, nil
}

// Filter selects cases. Status is "" or "active" (open and
// investigating), "all" or one status; Owner is "", "none" or an
// employee id.
type Filter struct {
	Status     string
	Owner      string
	CustomerID *uuid.UUID
	Limit      int
	Offset     int
}

func (f Filter) check() (Filter, []string, error) {
	var st []string
	switch f.Status {
	case "", "active":
		st = []string{StatusOpen, StatusInvestigating}
	case "all":
		st = Statuses
	default:
		if !slices.Contains(Statuses, f.Status) {
			return f, nil, apperr.Validation(apperr.FieldError{Field: "status", Issue: "is not a case status: choose open, investigating or closed"})
		}
		st = []string{f.Status}
	}
	if f.Owner != "" && f.Owner != "none" {
		if _, err := uuid.Parse(f.Owner); err != nil {
			return f, nil, apperr.Validation(apperr.FieldError{Field: "owner", Issue: "is not an employee of this organisation"})
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	f.Offset = max(f.Offset, 0)
	return f, st, nil
}

// Page is a page of cases and how many match in all.
type Page struct {
	Cases []Case
	Total int64
}

// List lists cases, newest first.
func (s *Service) List(ctx context.Context, tenant uuid.UUID, f Filter) (Page, error) {
	f, statuses, err := f.check()
	if err != nil {
		return Page{}, err
	}
	var p Page
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.CaseList(ctx, db.CaseListParams{TenantID: tenant, Statuses: statuses, Owner: f.Owner, CustomerID: f.CustomerID,
			MaxRows: int32(f.Limit), Skip: int32(f.Offset)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			p.Cases = append(p.Cases, Case{ID: r.ID, Number: r.Number, CustomerID: r.CustomerID, CustomerName: name(r.FirstName, r.LastName),
				Title: r.Title, Status: r.Status, OwnerID: r.OwnerID, OwnerName: deref(r.OwnerName), CloseReason: r.CloseReasonLabel,
				Alerts: r.Alerts, Hits: r.Hits, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt})
		}
		p.Total, err = q.CaseCount(ctx, db.CaseCountParams{TenantID: tenant, Statuses: statuses, Owner: f.Owner, CustomerID: f.CustomerID})
		return err
	})
	if err != nil {
		return Page{}, passOn("list", err)
	}
	return p, nil
}

// AlertItem is an alert of a case.
type AlertItem struct {
	ID        uuid.UUID
	Severity  string
	Status    string
	Rules     []string
	Amount    decimal.Decimal
	Currency  string
	Assignee  string
	CreatedAt time.Time
}

// HitItem is a screening hit of a case.
type HitItem struct {
	ID          uuid.UUID
	EntryName   string
	SourceID    string
	Score       float64
	MatchStatus string
	Status      string
	CreatedAt   time.Time
}

// Attachment is a file added to a case.
type Attachment struct {
	ID         uuid.UUID
	FileName   string
	MIME       string
	Size       int64
	SHA256     []byte
	UploadedBy string
	CreatedAt  time.Time
}

// Event is one thing in a case's history. Source says whose: the case's
// own ("case"), one of its alerts' ("alert") or hits' ("hit").
type Event struct {
	At           time.Time
	Source       string
	Kind         string
	Actor        string
	Body         string
	ReasonLabel  string
	AlertID      *uuid.UUID
	HitID        *uuid.UUID
	AttachmentID *uuid.UUID
}

// Detail is a case in full.
type Detail struct {
	Case
	CustomerRisk   string
	CustomerStatus string
	AlertItems     []AlertItem
	HitItems       []HitItem
	Attachments    []Attachment
	Timeline       []Event
}

// Get returns one case in full, its history oldest first.
func (s *Service) Get(ctx context.Context, tenant, id uuid.UUID) (Detail, error) {
	var d Detail
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.CaseGet(ctx, db.CaseGetParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		d.Case = Case{ID: r.ID, Number: r.Number, CustomerID: r.CustomerID, CustomerName: name(r.FirstName, r.LastName), Title: r.Title,
			Status: r.Status, OwnerID: r.OwnerID, OwnerName: deref(r.OwnerName), CloseReason: r.CloseReasonLabel, CreatedAt: r.CreatedAt,
			UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt}
		d.CustomerRisk, d.CustomerStatus = r.RiskLevel, r.CustomerStatus
		alerts, err := q.CaseAlerts(ctx, db.CaseAlertsParams{TenantID: tenant, CaseID: id})
		if err != nil {
			return err
		}
		for _, a := range alerts {
			d.AlertItems = append(d.AlertItems, AlertItem{ID: a.ID, Severity: a.Severity, Status: a.Status, Rules: a.RuleNames, Amount: a.Amount,
				Currency: a.Currency, Assignee: deref(a.AssigneeName), CreatedAt: a.CreatedAt})
		}
		hits, err := q.CaseHits(ctx, db.CaseHitsParams{TenantID: tenant, CaseID: id})
		if err != nil {
			return err
		}
		for _, h := range hits {
			d.HitItems = append(d.HitItems, HitItem{ID: h.ID, EntryName: h.EntryName, SourceID: h.SourceID, Score: h.Score,
				MatchStatus: h.MatchStatus, Status: h.Status, CreatedAt: h.CreatedAt})
		}
		d.Alerts, d.Hits = int64(len(d.AlertItems)), int64(len(d.HitItems))
		atts, err := q.CaseAttachments(ctx, db.CaseAttachmentsParams{TenantID: tenant, CaseID: id})
		if err != nil {
			return err
		}
		for _, a := range atts {
			d.Attachments = append(d.Attachments, attachmentOf(a))
		}
		events, err := q.CaseTimeline(ctx, db.CaseTimelineParams{TenantID: tenant, CaseID: id})
		if err != nil {
			return err
		}
		for _, e := range events {
			d.Timeline = append(d.Timeline, Event{At: e.At, Source: e.Source, Kind: e.Kind, Actor: e.ActorName, Body: e.Body,
				ReasonLabel: e.ReasonLabel, AlertID: e.AlertID, HitID: e.HitID, AttachmentID: e.AttachmentID})
		}
		return nil
	})
	if err != nil {
		return Detail{}, passOn("get", err)
	}
	return d, nil
}

func attachmentOf(a db.CaseAttachment) Attachment {
	return Attachment{ID: a.ID, FileName: a.FileName, MIME: a.Mime, Size: a.SizeBytes, SHA256: a.Sha256, UploadedBy: a.UploadedBy, CreatedAt: a.CreatedAt}
}

type caseState struct {
	Status string `json:"status"`
	Owner  string `json:"owner"`
}

// change applies fn to an open case under lock, audited as action with
// the history event fn returns.
func (s *Service) change(ctx context.Context, tenant, id uuid.UUID, action string,
	fn func(q *db.Queries, k *db.Case) (db.CaseInsertEventParams, error)) (Case, error) {
	var out Case
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		k, err := q.CaseForUpdate(ctx, db.CaseForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		if k.Status == StatusClosed {
			return apperr.New(apperr.Conflict, "this case is closed")
		}
		before := caseState{Status: k.Status, Owner: deref(k.OwnerName)}
		ev, err := fn(q, &k)
		if err != nil {
			return err
		}
		u, err := q.CaseUpdate(ctx, db.CaseUpdateParams{TenantID: tenant, ID: id, Status: k.Status, OwnerID: k.OwnerID, OwnerName: k.OwnerName,
			CloseReasonCode: k.CloseReasonCode, CloseReasonLabel: k.CloseReasonLabel, ClosedAt: k.ClosedAt})
		if err != nil {
			return err
		}
		if err := event(ctx, q, tenant, id, ev); err != nil {
			return err
		}
		after := map[string]any{"status": u.Status, "owner": deref(u.OwnerName)}
		if ev.Body != "" {
			after["note"] = ev.Body
		}
		if ev.ReasonCode != "" {
			after["closingReason"] = ev.ReasonCode
		}
		out = Case{ID: u.ID, Number: u.Number, CustomerID: u.CustomerID, Title: u.Title, Status: u.Status, OwnerID: u.OwnerID,
			OwnerName: deref(u.OwnerName), CloseReason: u.CloseReasonLabel, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, ClosedAt: u.ClosedAt}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: action, EntityType: "case", EntityID: id.String(),
			CustomerID: u.CustomerID, ReasonCode: u.Status, Before: before, After: after})
	})
	if err != nil {
		return Case{}, passOn(action, err)
	}
	return out, nil
}

// Assign gives the case to an active employee of the tenant (nil: nobody).
func (s *Service) Assign(ctx context.Context, tenant, id uuid.UUID, owner *uuid.UUID) (Case, error) {
	return s.change(ctx, tenant, id, "case.assigned", func(q *db.Queries, k *db.Case) (db.CaseInsertEventParams, error) {
		if owner == nil {
			k.OwnerID, k.OwnerName = nil, nil
			return db.CaseInsertEventParams{Kind: "UNASSIGNED"}, nil
		}
		emp, err := q.StaffByID(ctx, db.StaffByIDParams{TenantID: tenant, ID: *owner})
		if db.IsNotFound(err) || (err == nil && emp.Status != "ACTIVE") {
			return db.CaseInsertEventParams{}, apperr.Validation(apperr.FieldError{Field: "owner", Issue: "is not an active employee of this organisation"})
		}
		if err != nil {
			return db.CaseInsertEventParams{}, err
		}
		k.OwnerID, k.OwnerName = owner, &emp.DisplayName
		return db.CaseInsertEventParams{Kind: "ASSIGNED", Body: emp.DisplayName}, nil
	})
}

// SetStatus moves an open case between OPEN and INVESTIGATING; closing
// takes a reason (Close).
func (s *Service) SetStatus(ctx context.Context, tenant, id uuid.UUID, status string) (Case, error) {
	if status != StatusOpen && status != StatusInvestigating {
		return Case{}, apperr.Validation(apperr.FieldError{Field: "status", Issue: "choose open or investigating; close the case with a closing reason"})
	}
	return s.change(ctx, tenant, id, "case.status_changed", func(_ *db.Queries, k *db.Case) (db.CaseInsertEventParams, error) {
		if k.Status == status {
			return db.CaseInsertEventParams{}, apperr.New(apperr.Conflict, "the case is %s already", strings.ToLower(status))
		}
		k.Status = status
		return db.CaseInsertEventParams{Kind: "STATUS_CHANGED", Body: status}, nil
	})
}

func required(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch n := len([]rune(v)); {
	case n == 0:
		return "", apperr.Validation(apperr.FieldError{Field: field, Issue: "is required: write what you found, for the audit trail"})
	case n > max:
		return "", apperr.Validation(apperr.FieldError{Field: field, Issue: fmt.Sprintf("must be at most %d characters", max)})
	}
	return v, nil
}

// Comment adds a comment to an open case's history.
func (s *Service) Comment(ctx context.Context, tenant, id uuid.UUID, body string) error {
	body, err := required("body", body, 4000)
	if err != nil {
		return err
	}
	_, err = s.change(ctx, tenant, id, "case.commented", func(_ *db.Queries, k *db.Case) (db.CaseInsertEventParams, error) {
		return db.CaseInsertEventParams{Kind: "COMMENTED", Body: body}, nil
	})
	return err
}

// Close closes a case with one of the tenant's active closing reasons and
// a note. Its alerts keep their own decisions.
func (s *Service) Close(ctx context.Context, tenant, id uuid.UUID, code, note string) (Case, error) {
	note, err := required("note", note, 4000)
	if err != nil {
		return Case{}, err
	}
	now := s.now()
	return s.change(ctx, tenant, id, "case.closed", func(q *db.Queries, k *db.Case) (db.CaseInsertEventParams, error) {
		r, err := aml.ActiveClosingReason(ctx, q, tenant, "reason_code", code)
		if err != nil {
			return db.CaseInsertEventParams{}, err
		}
		k.Status, k.CloseReasonCode, k.CloseReasonLabel, k.ClosedAt = StatusClosed, r.Code, r.Label, &now
		if _, err := eventlog.Write(ctx, q, eventlog.Event{TenantID: tenant, Type: "case.closed", EntityType: "case", EntityID: id.String(),
			Payload: map[string]any{"caseId": id, "customerId": k.CustomerID, "closingReason": r.Code}}); err != nil {
			return db.CaseInsertEventParams{}, err
		}
		return db.CaseInsertEventParams{Kind: "CLOSED", Body: note, ReasonCode: r.Code, ReasonLabel: r.Label}, nil
	})
}

// Upload is a file to add to a case.
type Upload struct {
	FileName string
	MIME     string
	Size     int64
	Content  io.Reader
}

type chunkWriter struct {
	ctx         context.Context
	q           *db.Queries
	tenant, att uuid.UUID
}

func (w chunkWriter) WriteChunk(seq int, sealed []byte) error {
	return w.q.CaseInsertAttachmentChunk(w.ctx, db.CaseInsertAttachmentChunkParams{AttachmentID: w.att, Seq: int32(seq), TenantID: w.tenant, Content: sealed})
}

func (chunkWriter) Close() error { return nil }

// countingHash passes bytes on, counting and hashing them.
type countingHash struct {
	r io.Reader
	n int64
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (c *countingHash) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

// Attach adds a file to an open case, sealed a chunk at a time as KYC
// documents are, audited and in the case's history.
func (s *Service) Attach(ctx context.Context, tenant, id uuid.UUID, up Upload) (Attachment, error) {
	fileName := strings.TrimSpace(up.FileName)
	switch {
	case fileName == "":
		return Attachment{}, apperr.Validation(apperr.FieldError{Field: "file", Issue: "is required: choose a file to add"})
	case up.Size <= 0:
		return Attachment{}, apperr.Validation(apperr.FieldError{Field: "file", Issue: "is empty: choose a file with content"})
	case up.Size > MaxAttachmentBytes:
		return Attachment{}, apperr.Validation(apperr.FieldError{Field: "file", Issue: fmt.Sprintf("is larger than %d MB", MaxAttachmentBytes>>20)})
	case len([]rune(fileName)) > 200:
		return Attachment{}, apperr.Validation(apperr.FieldError{Field: "file", Issue: "has a name longer than 200 characters: rename it"})
	case !utf8.ValidString(fileName) || strings.ContainsFunc(fileName, unicode.IsControl):
		return Attachment{}, apperr.Validation(apperr.FieldError{Field: "file", Issue: "has a name with characters that are not text: rename it"})
	}
	if up.MIME == "" {
		up.MIME = "application/octet-stream"
	}
	att := uuid.New()
	var out Attachment
	_, err := s.change(ctx, tenant, id, "case.attachment_added", func(q *db.Queries, k *db.Case) (db.CaseInsertEventParams, error) {
		// The row first (the chunks refer to it), its size and hash
		// filled in once the content has been read.
		src := &countingHash{r: io.LimitReader(up.Content, MaxAttachmentBytes+1), h: sha256.New()}
		a, err := q.CaseInsertAttachment(ctx, db.CaseInsertAttachmentParams{ID: att, TenantID: tenant, CaseID: id, FileName: fileName,
			Mime: up.MIME, SizeBytes: up.Size, Sha256: []byte{}, KeyID: s.crypt.ActiveID(), UploadedBy: actor.From(ctx).Name})
		if err != nil {
			return db.CaseInsertEventParams{}, err
		}
		if err := kyc.SealChunks(s.crypt, att, src, chunkWriter{ctx: ctx, q: q, tenant: tenant, att: att}); err != nil {
			return db.CaseInsertEventParams{}, err
		}
		if src.n != up.Size {
			return db.CaseInsertEventParams{}, apperr.Validation(apperr.FieldError{Field: "file", Issue: "was not received whole: send it again"})
		}
		sum := src.h.Sum(nil)
		if err := q.CaseSetAttachmentHash(ctx, db.CaseSetAttachmentHashParams{TenantID: tenant, ID: att, Sha256: sum}); err != nil {
			return db.CaseInsertEventParams{}, err
		}
		a.Sha256 = sum
		out = attachmentOf(a)
		return db.CaseInsertEventParams{Kind: "ATTACHMENT_ADDED", Body: fileName, AttachmentID: &att}, nil
	})
	if err != nil {
		return Attachment{}, err
	}
	return out, nil
}

// ErasedFileName is the name of an attachment erased with its customer
// (package retention): its content is gone.
const ErasedFileName = "[erased]"

// OpenAttachment writes an attachment's plain content to w; every read is
// an audited view. An erased attachment is not found.
func (s *Service) OpenAttachment(ctx context.Context, tenant, caseID, id uuid.UUID, w io.Writer) (Attachment, error) {
	var out Attachment
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		a, err := q.CaseAttachment(ctx, db.CaseAttachmentParams{TenantID: tenant, CaseID: caseID, ID: id})
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "no such attachment")
		}
		if err != nil {
			return err
		}
		if a.SizeBytes == 0 && a.FileName == ErasedFileName {
			return apperr.New(apperr.NotFound, "the attachment was erased with the customer's personal data")
		}
		out = attachmentOf(a)
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "case.attachment_viewed", EntityType: "case", EntityID: caseID.String(),
			After: map[string]any{"attachmentId": id, "fileName": a.FileName}}); err != nil {
			return err
		}
		return kyc.OpenChunks(s.crypt, id, func(seq int) ([]byte, error) {
			b, err := q.CaseAttachmentChunk(ctx, db.CaseAttachmentChunkParams{TenantID: tenant, AttachmentID: id, Seq: int32(seq)})
			if db.IsNotFound(err) {
				return nil, io.EOF
			}
			return b, err
		}, w)
	})
	if err != nil {
		return Attachment{}, passOn("open attachment", err)
	}
	return out, nil
}

// TransactionDay is how many of the customer's transactions were screened
// on one day.
type TransactionDay struct {
	Day time.Time
	N   int64
}

// TransactionsPerDay counts the customer's screened transactions on each
// of the last days days up to now in loc, oldest first, days without any
// included.
func (s *Service) TransactionsPerDay(ctx context.Context, tenant, customer uuid.UUID, loc *time.Location, now time.Time, days int) ([]TransactionDay, error) {
	run := calendar.Last(days, now, loc)
	out := make([]TransactionDay, days)
	for i := range out {
		out[i].Day = run.Day(i)
	}
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.CaseTransactionsPerDay(ctx, db.CaseTransactionsPerDayParams{TimeZone: loc.String(), TenantID: tenant, CustomerID: customer, Since: run.First})
		for _, r := range rows {
			if i, ok := run.Index(r.Day); ok {
				out[i].N += r.N
			}
		}
		return err
	})
	if err != nil {
		return nil, errf("transactions per day: %w", err)
	}
	return out, nil
}
