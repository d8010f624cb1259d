package aml

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/calendar"
	"github.com/ciamhq/ciam/internal/event"
)

// Alert statuses. OPEN and ESCALATED are waiting; the others are closed.
const (
	AlertOpen          = "OPEN"
	AlertEscalated     = "ESCALATED"
	AlertFalsePositive = "CLOSED_FALSE_POSITIVE"
	// AlertClosed is closed with another of the tenant's closing reasons.
	AlertClosed     = "CLOSED"
	AlertSARDrafted = "SAR_DRAFTED"
)

// Alert status groups for filters.
var (
	OpenAlertStatuses   = []string{AlertOpen, AlertEscalated}
	ClosedAlertStatuses = []string{AlertFalsePositive, AlertClosed, AlertSARDrafted}
	AllAlertStatuses    = []string{AlertOpen, AlertEscalated, AlertFalsePositive, AlertClosed, AlertSARDrafted}
)

// Alert is an alert raised by a REVIEW or BLOCK decision.
type Alert struct {
	ID            uuid.UUID
	CustomerID    uuid.UUID
	CustomerName  string
	TransactionID uuid.UUID
	Decision      Outcome
	Severity      string
	Score         int
	Rules         []string
	Amount        decimal.Decimal
	Currency      string
	Status        string
	AssigneeID    *uuid.UUID
	AssigneeName  string
	AssignedAt    *time.Time
	// Resolution is the closing decision's reason; an escalation's is in
	// the alert's history only.
	Resolution   string
	CloseReason  string
	SARNarrative string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     *time.Time
}

// IsOpen reports whether the alert still waits for someone.
func (a Alert) IsOpen() bool { return slices.Contains(OpenAlertStatuses, a.Status) }

func alertOf(a db.AmlAlert, first, last string) Alert {
	out := Alert{ID: a.ID, CustomerID: a.CustomerID, CustomerName: strings.TrimSpace(first + " " + last), TransactionID: a.TransactionID,
		Decision: Outcome(a.Decision), Severity: a.Severity, Score: int(a.Score), Rules: a.RuleNames, Amount: a.Amount, Currency: a.Currency,
		Status: a.Status, AssigneeID: a.AssigneeID, AssignedAt: a.AssignedAt, Resolution: a.Resolution, CloseReason: a.CloseReasonCode, SARNarrative: a.SarNarrative,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, ClosedAt: a.ClosedAt}
	if a.AssigneeName != nil {
		out.AssigneeName = *a.AssigneeName
	}
	return out
}

// AlertFilter selects alerts. Status is "open" (the default), "closed",
// "all" or one status; Assignee is "", "none" or an employee id.
type AlertFilter struct {
	Status     string
	Severity   string
	Assignee   string
	CustomerID *uuid.UUID
	Limit      int
	Offset     int
}

func (f AlertFilter) statuses() ([]string, error) {
	switch f.Status {
	case "", "open":
		return OpenAlertStatuses, nil
	case "closed":
		return ClosedAlertStatuses, nil
	case "all":
		return AllAlertStatuses, nil
	}
	if slices.Contains(AllAlertStatuses, f.Status) {
		return []string{f.Status}, nil
	}
	return nil, apperr.Validation(apperr.FieldError{Field: "status", Issue: "unknown status"})
}

func (f AlertFilter) check() (AlertFilter, []string, error) {
	st, err := f.statuses()
	if err != nil {
		return f, nil, err
	}
	if f.Severity != "" && f.Severity != "HIGH" && f.Severity != "MEDIUM" {
		return f, nil, apperr.Validation(apperr.FieldError{Field: "severity", Issue: "must be HIGH or MEDIUM"})
	}
	if f.Assignee != "" && f.Assignee != "none" {
		if _, err := uuid.Parse(f.Assignee); err != nil {
			return f, nil, apperr.Validation(apperr.FieldError{Field: "assignee", Issue: "unknown employee"})
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	f.Offset = max(f.Offset, 0)
	return f, st, nil
}

// AlertPage is a page of alerts and how many match in all.
type AlertPage struct {
	Alerts []Alert
	Total  int64
}

// Alerts lists alerts, high severity first, then oldest first.
func (s *Service) Alerts(ctx context.Context, tenant uuid.UUID, f AlertFilter) (AlertPage, error) {
	f, statuses, err := f.check()
	if err != nil {
		return AlertPage{}, err
	}
	var p AlertPage
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLAlerts(ctx, db.AMLAlertsParams{TenantID: tenant, Statuses: statuses, Severity: f.Severity, CustomerID: f.CustomerID,
			Assignee: f.Assignee, MaxRows: int32(f.Limit), Skip: int32(f.Offset)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			p.Alerts = append(p.Alerts, alertOf(db.AmlAlert{ID: r.ID, TenantID: r.TenantID, CustomerID: r.CustomerID, TransactionID: r.TransactionID,
				Decision: r.Decision, Severity: r.Severity, Score: r.Score, RuleNames: r.RuleNames, Amount: r.Amount, Currency: r.Currency,
				Status: r.Status, AssigneeID: r.AssigneeID, AssigneeName: r.AssigneeName, AssignedAt: r.AssignedAt, Resolution: r.Resolution,
				SarNarrative: r.SarNarrative, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt, CloseReasonCode: r.CloseReasonCode}, r.FirstName, r.LastName))
		}
		p.Total, err = q.AMLAlertCount(ctx, db.AMLAlertCountParams{TenantID: tenant, Statuses: statuses, Severity: f.Severity,
			CustomerID: f.CustomerID, Assignee: f.Assignee})
		return err
	})
	if err != nil {
		return AlertPage{}, errf("alerts: %w", err)
	}
	return p, nil
}

// AlertGroup is one customer's alerts in the queue.
type AlertGroup struct {
	CustomerID   uuid.UUID
	CustomerName string
	Alerts       int64
	Unassigned   int64
	AnyHigh      bool
	Oldest       time.Time
	Newest       time.Time
}

// AlertGroups groups the selected alerts per customer.
func (s *Service) AlertGroups(ctx context.Context, tenant uuid.UUID, f AlertFilter) ([]AlertGroup, error) {
	f, statuses, err := f.check()
	if err != nil {
		return nil, err
	}
	var out []AlertGroup
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLAlertGroups(ctx, db.AMLAlertGroupsParams{TenantID: tenant, Statuses: statuses, Severity: f.Severity,
			Assignee: f.Assignee, MaxRows: 200})
		for _, r := range rows {
			out = append(out, AlertGroup{CustomerID: r.CustomerID, CustomerName: strings.TrimSpace(r.FirstName + " " + r.LastName),
				Alerts: r.Alerts, Unassigned: r.Unassigned, AnyHigh: r.AnyHigh, Oldest: r.Oldest, Newest: r.Newest})
		}
		return err
	})
	if err != nil {
		return nil, errf("alert groups: %w", err)
	}
	return out, nil
}

// Comment is an analyst's note on an alert.
type Comment struct {
	ID        uuid.UUID
	Author    string
	Body      string
	CreatedAt time.Time
}

// AlertEvent is one thing that happened to an alert.
type AlertEvent struct {
	Kind        string // ASSIGNED, UNASSIGNED, COMMENTED, ESCALATED, CLOSED, SAR_DRAFTED
	Actor       string
	Body        string
	ReasonLabel string
	At          time.Time
}

// CaseRef is the case an alert belongs to.
type CaseRef struct {
	ID     uuid.UUID
	Number int64
	Status string
}

// AlertDetail is an alert with its transaction, the rules and values that
// raised it, comments, its history, its case and the customer's other
// alerts.
type AlertDetail struct {
	Alert
	CustomerRisk   string
	CustomerStatus string
	TransactionRef string
	Type           string
	Direction      string
	Channel        string
	OccurredAt     time.Time
	Counterparty   Counterparty
	Hits           []Hit
	Notes          []string
	Comments       []Comment
	History        []AlertEvent
	Case           *CaseRef
	Related        []Alert
}

func errAlertNotFound() error { return apperr.New(apperr.NotFound, "no such alert") }

// Alert returns one alert in full.
func (s *Service) Alert(ctx context.Context, tenant, id uuid.UUID) (AlertDetail, error) {
	var d AlertDetail
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.AMLAlert(ctx, db.AMLAlertParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		d.Alert = alertOf(db.AmlAlert{ID: r.ID, TenantID: r.TenantID, CustomerID: r.CustomerID, TransactionID: r.TransactionID,
			Decision: r.Decision, Severity: r.Severity, Score: r.Score, RuleNames: r.RuleNames, Amount: r.Amount, Currency: r.Currency,
			Status: r.Status, AssigneeID: r.AssigneeID, AssigneeName: r.AssigneeName, AssignedAt: r.AssignedAt, Resolution: r.Resolution,
			SarNarrative: r.SarNarrative, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt, CloseReasonCode: r.CloseReasonCode}, r.FirstName, r.LastName)
		d.CustomerRisk, d.CustomerStatus = r.RiskLevel, r.CustomerStatus
		d.TransactionRef, d.Type, d.Direction, d.Channel, d.OccurredAt = r.TransactionRef, r.Type, r.Direction, r.Channel, r.OccurredAt
		d.Counterparty = Counterparty{Name: r.CounterpartyName, Country: r.CounterpartyCountry, Account: r.CounterpartyAccount}
		d.Hits = hitsFromJSON(r.Triggered)
		_ = json.Unmarshal(r.Notes, &d.Notes)
		comments, err := q.AMLAlertComments(ctx, db.AMLAlertCommentsParams{TenantID: tenant, AlertID: id})
		if err != nil {
			return err
		}
		for _, c := range comments {
			d.Comments = append(d.Comments, Comment{ID: c.ID, Author: c.AuthorName, Body: c.Body, CreatedAt: c.CreatedAt})
		}
		events, err := q.AMLAlertEvents(ctx, db.AMLAlertEventsParams{TenantID: tenant, AlertID: id})
		if err != nil {
			return err
		}
		for _, e := range events {
			d.History = append(d.History, AlertEvent{Kind: e.Kind, Actor: e.ActorName, Body: e.Body, ReasonLabel: e.ReasonLabel, At: e.CreatedAt})
		}
		switch c, err := q.AMLAlertCase(ctx, db.AMLAlertCaseParams{TenantID: tenant, AlertID: id}); {
		case err == nil:
			d.Case = &CaseRef{ID: c.ID, Number: c.Number, Status: c.Status}
		case !db.IsNotFound(err):
			return err
		}
		related, err := q.AMLCustomerAlerts(ctx, db.AMLCustomerAlertsParams{TenantID: tenant, CustomerID: r.CustomerID, Exclude: id})
		for _, a := range related {
			d.Related = append(d.Related, Alert{ID: a.ID, Status: a.Status, Severity: a.Severity, CreatedAt: a.CreatedAt})
		}
		return err
	})
	if db.IsNotFound(err) {
		return AlertDetail{}, errAlertNotFound()
	}
	if err != nil {
		return AlertDetail{}, errf("alert: %w", err)
	}
	return d, nil
}

type alertState struct {
	Status   string `json:"status"`
	Assignee string `json:"assignee"`
}

func stateOfAlert(a db.AmlAlert) alertState {
	st := alertState{Status: a.Status}
	if a.AssigneeName != nil {
		st.Assignee = *a.AssigneeName
	}
	return st
}

// alertEvent is a history row to write with a change.
type alertEvent struct {
	Kind              string
	Body              string
	ReasonCode, Label string
}

func writeAlertEvent(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, ev alertEvent) error {
	who := actor.From(ctx)
	return q.AMLInsertAlertEvent(ctx, db.AMLInsertAlertEventParams{ID: uuid.New(), TenantID: tenant, AlertID: id, Kind: ev.Kind,
		ActorID: who.ID, ActorName: who.Name, Body: ev.Body, ReasonCode: ev.ReasonCode, ReasonLabel: ev.Label})
}

// changeAlert applies change to alert id under lock, audited as action,
// and writes the history event change returns.
func (s *Service) changeAlert(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, action, reason string,
	change func(a *db.AmlAlert) (alertEvent, error)) (db.AmlAlert, error) {
	a, err := q.AMLAlertForUpdate(ctx, db.AMLAlertForUpdateParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) {
		return a, errAlertNotFound()
	}
	if err != nil {
		return a, err
	}
	before := stateOfAlert(a)
	ev, err := change(&a)
	if err != nil {
		return a, err
	}
	updated, err := q.AMLUpdateAlert(ctx, db.AMLUpdateAlertParams{TenantID: tenant, ID: id, Status: a.Status, AssigneeID: a.AssigneeID,
		AssigneeName: a.AssigneeName, AssignedAt: a.AssignedAt, Resolution: a.Resolution, SarNarrative: a.SarNarrative, CloseReasonCode: a.CloseReasonCode, ClosedAt: a.ClosedAt})
	if err != nil {
		return a, err
	}
	if err := writeAlertEvent(ctx, q, tenant, id, ev); err != nil {
		return a, err
	}
	after := map[string]any{"status": updated.Status, "assignee": stateOfAlert(updated).Assignee}
	if reason != "" {
		// The analyst's words may quote the customer: a note is sealed
		// under their data key (package shred).
		after["note"] = reason
	}
	if ev.ReasonCode != "" {
		after["closingReason"] = ev.ReasonCode
	}
	return updated, audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: action, EntityType: "aml_alert", EntityID: id.String(),
		CustomerID: updated.CustomerID, ReasonCode: updated.Status, Before: before, After: after})
}

func errClosed(a *db.AmlAlert) error {
	return apperr.New(apperr.Conflict, "this alert is closed (%s)", a.Status)
}

// AssignAlerts gives alerts to an employee of the tenant (nil: nobody),
// each change audited. Closed alerts are left as they are and counted in
// skipped.
func (s *Service) AssignAlerts(ctx context.Context, tenant uuid.UUID, ids []uuid.UUID, assignee *uuid.UUID) (assigned, skipped int, err error) {
	if len(ids) == 0 {
		return 0, 0, apperr.Validation(apperr.FieldError{Field: "ids", Issue: "choose at least one alert"})
	}
	if len(ids) > 200 {
		return 0, 0, apperr.Validation(apperr.FieldError{Field: "ids", Issue: "assign at most 200 alerts at once"})
	}
	now := s.now()
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		assigned, skipped = 0, 0
		var name *string
		if assignee != nil {
			emp, err := q.StaffByID(ctx, db.StaffByIDParams{TenantID: tenant, ID: *assignee})
			if db.IsNotFound(err) || (err == nil && emp.Status != "ACTIVE") {
				return apperr.Validation(apperr.FieldError{Field: "assignee", Issue: "is not an active employee of this organisation"})
			}
			if err != nil {
				return err
			}
			name = &emp.DisplayName
		}
		for _, id := range ids {
			_, err := s.changeAlert(ctx, q, tenant, id, "aml.alert.assigned", "", func(a *db.AmlAlert) (alertEvent, error) {
				if !slices.Contains(OpenAlertStatuses, a.Status) {
					return alertEvent{}, errClosed(a)
				}
				a.AssigneeID, a.AssigneeName, a.AssignedAt = assignee, name, &now
				if assignee == nil {
					a.AssignedAt = nil
					return alertEvent{Kind: "UNASSIGNED"}, nil
				}
				return alertEvent{Kind: "ASSIGNED", Body: *name}, nil
			})
			if apperr.CodeOf(err) == apperr.Conflict {
				skipped++
				continue
			}
			if err != nil {
				return err
			}
			assigned++
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return 0, 0, err
		}
		return 0, 0, errf("assign alerts: %w", err)
	}
	return assigned, skipped, nil
}

func required(field, v string, min, max int) error {
	n := len([]rune(strings.TrimSpace(v)))
	switch {
	case n == 0:
		return apperr.Validation(apperr.FieldError{Field: field, Issue: "is required: say why, for the audit trail"})
	case n < min:
		return apperr.Validation(apperr.FieldError{Field: field, Issue: "is too short"})
	case n > max:
		return apperr.Validation(apperr.FieldError{Field: field, Issue: "is too long"})
	}
	return nil
}

// CommentAlert adds a comment to an alert.
func (s *Service) CommentAlert(ctx context.Context, tenant, id uuid.UUID, body string) (Comment, error) {
	body = strings.TrimSpace(body)
	if err := required("body", body, 1, 4000); err != nil {
		return Comment{}, err
	}
	who := actor.From(ctx)
	var out Comment
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		a, err := q.AMLAlertForUpdate(ctx, db.AMLAlertForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		c, err := q.AMLInsertAlertComment(ctx, db.AMLInsertAlertCommentParams{ID: uuid.New(), TenantID: tenant, AlertID: id,
			AuthorID: who.ID, AuthorName: who.Name, Body: body})
		if err != nil {
			return err
		}
		out = Comment{ID: c.ID, Author: c.AuthorName, Body: c.Body, CreatedAt: c.CreatedAt}
		if err := writeAlertEvent(ctx, q, tenant, id, alertEvent{Kind: "COMMENTED", Body: body}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.alert.commented", EntityType: "aml_alert", EntityID: id.String(),
			CustomerID: a.CustomerID, ReasonCode: "COMMENT", After: map[string]any{"comment": body}})
	})
	if db.IsNotFound(err) {
		return Comment{}, errAlertNotFound()
	}
	if err != nil {
		return Comment{}, errf("comment alert: %w", err)
	}
	return out, nil
}

// transition moves an open alert to status, with its event; set changes
// the row inside the transaction and says what goes in the history.
func (s *Service) transition(ctx context.Context, tenant, id uuid.UUID, status, action, eventType, text string,
	set func(q *db.Queries, a *db.AmlAlert) (alertEvent, error)) (Alert, error) {
	now := s.now()
	var out Alert
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		a, err := s.changeAlert(ctx, q, tenant, id, action, text, func(a *db.AmlAlert) (alertEvent, error) {
			if !slices.Contains(OpenAlertStatuses, a.Status) {
				return alertEvent{}, errClosed(a)
			}
			if a.Status == status {
				return alertEvent{}, apperr.New(apperr.Conflict, "this alert is already %s", strings.ToLower(status))
			}
			a.Status = status
			if slices.Contains(ClosedAlertStatuses, status) {
				a.ClosedAt = &now
			}
			return set(q, a)
		})
		if err != nil {
			return err
		}
		out = alertOf(a, "", "")
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: eventType, EntityType: "aml_alert", EntityID: id.String(),
			Payload: map[string]any{"alertId": id, "customerId": a.CustomerID, "status": a.Status, "closingReason": a.CloseReasonCode}})
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Alert{}, err
		}
		return Alert{}, errf("alert %s: %w", strings.ToLower(status), err)
	}
	return out, nil
}

// Escalate sends an alert to a senior reviewer, with the reason. The
// reason goes in the alert's history; it is no decision.
func (s *Service) Escalate(ctx context.Context, tenant, id uuid.UUID, reason string) (Alert, error) {
	if err := required("reason", reason, 1, 2000); err != nil {
		return Alert{}, err
	}
	reason = strings.TrimSpace(reason)
	return s.transition(ctx, tenant, id, AlertEscalated, "aml.alert.escalated", "aml.alert.escalated", reason,
		func(_ *db.Queries, a *db.AmlAlert) (alertEvent, error) {
			return alertEvent{Kind: "ESCALATED", Body: reason}, nil
		})
}

// CloseFalsePositive closes an alert as a false positive, with the reason.
func (s *Service) CloseFalsePositive(ctx context.Context, tenant, id uuid.UUID, reason string) (Alert, error) {
	return s.CloseAlert(ctx, tenant, id, ReasonFalsePositive, reason)
}

// CloseAlert closes an alert with one of the tenant's closing reasons
// (code) and a note saying why. A reason meaning a report is recorded
// with RecordSAR, which needs the report's narrative.
func (s *Service) CloseAlert(ctx context.Context, tenant, id uuid.UUID, code, note string) (Alert, error) {
	if err := required("reason", note, 1, 2000); err != nil {
		return Alert{}, err
	}
	note = strings.TrimSpace(note)
	status := AlertClosed
	if code == ReasonFalsePositive {
		status = AlertFalsePositive
	}
	return s.transition(ctx, tenant, id, status, "aml.alert.closed", "aml.alert.closed", note,
		func(q *db.Queries, a *db.AmlAlert) (alertEvent, error) {
			r, err := ActiveClosingReason(ctx, q, tenant, "reason_code", code)
			if err != nil {
				return alertEvent{}, err
			}
			if r.SAR {
				return alertEvent{}, apperr.Validation(apperr.FieldError{Field: "reason_code",
					Issue: "means a suspicious-activity report: record it with the report draft form, which takes its narrative"})
			}
			a.Resolution, a.CloseReasonCode = r.Label+": "+note, r.Code
			return alertEvent{Kind: "CLOSED", Body: note, ReasonCode: r.Code, Label: r.Label}, nil
		})
}

// RecordSAR records the draft of a suspicious-activity report for the
// alert and closes it for the queue: the report itself is filed with the
// authority outside this system. The decision's reason is the tenant's
// first active reason that means a report.
func (s *Service) RecordSAR(ctx context.Context, tenant, id uuid.UUID, narrative string) (Alert, error) {
	if err := required("narrative", narrative, 20, 20000); err != nil {
		if e, ok := apperr.As(err); ok && strings.Contains(e.Fields[0].Issue, "short") {
			e.Fields[0].Issue = "must say what happened, in at least 20 characters"
		}
		return Alert{}, err
	}
	narrative = strings.TrimSpace(narrative)
	return s.transition(ctx, tenant, id, AlertSARDrafted, "aml.alert.sar_drafted", "aml.alert.closed", "",
		func(q *db.Queries, a *db.AmlAlert) (alertEvent, error) {
			reasons, _, err := closingReasons(ctx, q, tenant)
			if err != nil {
				return alertEvent{}, err
			}
			r := DefaultClosingReasons[2]
			if i := slices.IndexFunc(reasons, func(r ClosingReason) bool { return r.SAR && r.Active }); i >= 0 {
				r = reasons[i]
			}
			a.SarNarrative, a.CloseReasonCode = narrative, r.Code
			a.Resolution = r.Label
			return alertEvent{Kind: "SAR_DRAFTED", Body: narrative, ReasonCode: r.Code, Label: r.Label}, nil
		})
}

// AlertQueue is the open alerts' count and the oldest one's time, for the
// dashboard.
func (s *Service) AlertQueue(ctx context.Context, tenant uuid.UUID) (int64, *time.Time, error) {
	var row db.AMLAlertQueueRow
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		row, err = q.AMLAlertQueue(ctx, tenant)
		return err
	})
	if err != nil {
		return 0, nil, errf("alert queue: %w", err)
	}
	if t, ok := row.Oldest.(time.Time); ok {
		return row.Open, &t, nil
	}
	return row.Open, nil, nil
}

// Screened is one transaction as it was screened.
type Screened struct {
	ID           uuid.UUID
	Ref          string // the channel's transactionId
	Type         string
	Direction    string
	Amount       decimal.Decimal
	Currency     string
	Channel      string
	At           time.Time
	Counterparty string
	Country      string
	Decision     Outcome
	Score        int
	AlertID      *uuid.UUID
}

// CustomerTransactions lists a customer's screened transactions, latest
// first, at most limit (1 to 200).
func (s *Service) CustomerTransactions(ctx context.Context, tenant, customer uuid.UUID, limit int) ([]Screened, error) {
	limit = min(max(limit, 1), 200)
	var out []Screened
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLCustomerTransactions(ctx, db.AMLCustomerTransactionsParams{TenantID: tenant, CustomerID: customer, MaxRows: int32(limit)})
		for _, r := range rows {
			out = append(out, Screened{ID: r.ID, Ref: r.TransactionRef, Type: r.Type, Direction: r.Direction, Amount: r.Amount,
				Currency: r.Currency, Channel: r.Channel, At: r.OccurredAt, Counterparty: r.CounterpartyName, Country: r.CounterpartyCountry,
				Decision: Outcome(r.Decision), Score: int(r.Score), AlertID: r.AlertID})
		}
		return err
	})
	if err != nil {
		return nil, errf("customer transactions: %w", err)
	}
	return out, nil
}

// AlertDay is how many alerts of each severity were raised on one day.
type AlertDay struct {
	Day          time.Time
	High, Medium int64
}

// AlertsPerDay counts the alerts raised on each of the last days days up to
// now, in loc, oldest first, days without any included.
func (s *Service) AlertsPerDay(ctx context.Context, tenant uuid.UUID, loc *time.Location, now time.Time, days int) ([]AlertDay, error) {
	run := calendar.Last(days, now, loc)
	out := make([]AlertDay, days)
	for i := range out {
		out[i].Day = run.Day(i)
	}
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLAlertsPerDay(ctx, db.AMLAlertsPerDayParams{TimeZone: loc.String(), TenantID: tenant, Since: run.First})
		for _, r := range rows {
			if i, ok := run.Index(r.Day); ok {
				if r.Severity == "HIGH" {
					out[i].High += r.N
				} else {
					out[i].Medium += r.N
				}
			}
		}
		return err
	})
	if err != nil {
		return nil, errf("alerts per day: %w", err)
	}
	return out, nil
}

// Kept is a screened transaction as a subject access export gives it:
// everything kept of it but the request's hash.
type Kept struct {
	ID                  uuid.UUID       `json:"id"`
	Ref                 string          `json:"transactionId"`
	Type                string          `json:"type"`
	Direction           string          `json:"direction"`
	Amount              decimal.Decimal `json:"amount"`
	Currency            string          `json:"currency"`
	Channel             string          `json:"channel"`
	OccurredAt          time.Time       `json:"occurredAt"`
	CounterpartyName    string          `json:"counterpartyName"`
	CounterpartyCountry string          `json:"counterpartyCountry"`
	CounterpartyAccount string          `json:"counterpartyAccount"`
	Decision            string          `json:"decision"`
	Score               int             `json:"score"`
	Triggered           json.RawMessage `json:"triggered"`
	Notes               json.RawMessage `json:"notes"`
	AlertID             *uuid.UUID      `json:"alertId"`
	ScreenedAt          time.Time       `json:"screenedAt"`
}

// EachCustomerTransaction calls fn with every screened transaction of
// customer, in the order they were screened, reading a page at a time.
func (s *Service) EachCustomerTransaction(ctx context.Context, tenant, customer uuid.UUID, fn func(Kept) error) error {
	const page = 500
	var after int64
	for {
		var rows []db.AMLCustomerTransactionsAfterRow
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			var err error
			rows, err = q.AMLCustomerTransactionsAfter(ctx, db.AMLCustomerTransactionsAfterParams{TenantID: tenant, CustomerID: customer,
				AfterSeq: after, MaxRows: page})
			return err
		})
		if err != nil {
			return errf("customer transactions: %w", err)
		}
		for _, r := range rows {
			after = r.Seq
			if err := fn(Kept{ID: r.ID, Ref: r.TransactionRef, Type: r.Type, Direction: r.Direction, Amount: r.Amount, Currency: r.Currency,
				Channel: r.Channel, OccurredAt: r.OccurredAt, CounterpartyName: r.CounterpartyName, CounterpartyCountry: r.CounterpartyCountry,
				CounterpartyAccount: r.CounterpartyAccount, Decision: r.Decision, Score: int(r.Score), Triggered: r.Triggered, Notes: r.Notes,
				AlertID: r.AlertID, ScreenedAt: r.CreatedAt}); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
	}
}
