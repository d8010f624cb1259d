package kyc

import (
	"context"
	"encoding/json"
	"fmt"
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
)

// The review queue's clock, documented in the README: a verification
// waiting less than ReviewFresh is fresh, one waiting beyond ReviewSLA has
// broken the service level, and in between it is ageing.
const (
	ReviewFresh = 4 * time.Hour
	ReviewSLA   = 24 * time.Hour
)

// Age buckets of the review queue.
const (
	AgeFresh   = "FRESH"
	AgeAging   = "AGING"
	AgeOverdue = "OVERDUE"
)

// AgeBucket says how long a verification queued at queued has waited by now.
func AgeBucket(queued, now time.Time) string {
	switch d := now.Sub(queued); {
	case d < ReviewFresh:
		return AgeFresh
	case d < ReviewSLA:
		return AgeAging
	default:
		return AgeOverdue
	}
}

// Assignee filters of the queue.
const (
	AssigneeAnyone     = ""
	AssigneeMe         = "me"
	AssigneeUnassigned = "unassigned"
)

// QueueFilter narrows the review queue. Empty fields match everything.
type QueueFilter struct {
	Risk     string // LOW, MEDIUM or HIGH
	Reason   string // one of the reasons for review
	Age      string // FRESH, AGING or OVERDUE
	Assignee string // AssigneeMe, AssigneeUnassigned or AssigneeAnyone
	// Me is the employee asking, for AssigneeMe and the "mine" count.
	Me     uuid.UUID
	Limit  int
	Offset int
}

// QueueItem is one verification waiting for a person.
type QueueItem struct {
	VerificationID uuid.UUID
	CustomerID     uuid.UUID
	CustomerName   string
	Email          string
	Nationality    string
	RiskLevel      string
	Reasons        []string
	QueuedAt       time.Time
	AssigneeID     *uuid.UUID
	AssigneeName   string
}

// ReasonCount is how many waiting verifications carry a reason.
type ReasonCount struct {
	Reason string
	N      int64
}

// QueueCounts are counts over the whole queue, whatever the filter.
type QueueCounts struct {
	Total, High, Medium, Low int64
	Unassigned, Mine         int64
	Fresh, Aging, Overdue    int64
	Reasons                  []ReasonCount
	Oldest                   *time.Time
}

// QueuePage is one page of the queue.
type QueuePage struct {
	Items []QueueItem
	// Matching is how many verifications match the filter.
	Matching int64
	Counts   QueueCounts
}

var riskLevels = []string{"LOW", "MEDIUM", "HIGH"}

// Queue lists the verifications waiting for review, oldest first.
func (s *Service) Queue(ctx context.Context, tenant uuid.UUID, f QueueFilter) (QueuePage, error) {
	var fe apperr.Fields
	p := db.ReviewQueueParams{TenantID: tenant, MaxRows: int32(min(max(f.Limit, 1), 200)), Skip: int32(max(f.Offset, 0))}
	if f.Risk != "" {
		if !slices.Contains(riskLevels, f.Risk) {
			fe.Add("risk", "must be LOW, MEDIUM or HIGH")
		}
		p.Risk = &f.Risk
	}
	if f.Reason != "" {
		if len(f.Reason) > 100 {
			fe.Add("reason", "is not a reason for review")
		}
		p.Reason = &f.Reason
	}
	now := s.now()
	freshAfter, overdueAfter := now.Add(-ReviewFresh), now.Add(-ReviewSLA)
	switch f.Age {
	case "":
	case AgeFresh:
		p.QueuedAfter = &freshAfter
	case AgeAging:
		p.QueuedAfter, p.QueuedBefore = &overdueAfter, &freshAfter
	case AgeOverdue:
		p.QueuedBefore = &overdueAfter
	default:
		fe.Add("age", "must be FRESH, AGING or OVERDUE")
	}
	switch f.Assignee {
	case AssigneeAnyone:
	case AssigneeMe:
		p.Assignee = &f.Me
	case AssigneeUnassigned:
		p.OnlyUnassigned = true
	default:
		fe.Add("assignee", "must be me or unassigned")
	}
	if err := fe.Err(); err != nil {
		return QueuePage{}, err
	}
	var page QueuePage
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ReviewQueue(ctx, p)
		if err != nil {
			return err
		}
		for _, r := range rows {
			it := QueueItem{VerificationID: r.ID, CustomerID: r.CustomerID, Email: r.Email, Nationality: r.Nationality,
				RiskLevel: r.RiskLevel, Reasons: r.ReasonsForReview, QueuedAt: r.QueuedAt, AssigneeID: r.AssigneeID}
			it.CustomerName = strings.Join(strings.Fields(r.FirstName+" "+r.MiddleName+" "+r.LastName), " ")
			if r.AssigneeName != nil {
				it.AssigneeName = *r.AssigneeName
			}
			page.Items = append(page.Items, it)
		}
		if page.Matching, err = q.ReviewQueueTotal(ctx, db.ReviewQueueTotalParams{TenantID: tenant, Risk: p.Risk, Reason: p.Reason,
			QueuedAfter: p.QueuedAfter, QueuedBefore: p.QueuedBefore, OnlyUnassigned: p.OnlyUnassigned, Assignee: p.Assignee}); err != nil {
			return err
		}
		page.Counts, err = queueCounts(ctx, q, tenant, f.Me, freshAfter, overdueAfter)
		return err
	})
	if err != nil {
		return QueuePage{}, fmt.Errorf("kyc: review queue: %w", err)
	}
	return page, nil
}

func queueCounts(ctx context.Context, q *db.Queries, tenant, me uuid.UUID, freshAfter, overdueAfter time.Time) (QueueCounts, error) {
	f, err := q.ReviewQueueFacets(ctx, db.ReviewQueueFacetsParams{TenantID: tenant, Me: me, FreshAfter: freshAfter, OverdueAfter: overdueAfter})
	if err != nil {
		return QueueCounts{}, err
	}
	c := QueueCounts{Total: f.Total, High: f.High, Medium: f.Medium, Low: f.Low, Unassigned: f.Unassigned, Mine: f.Mine,
		Fresh: f.Fresh, Aging: f.Aging, Overdue: f.Overdue}
	reasons, err := q.ReviewQueueReasons(ctx, tenant)
	if err != nil {
		return QueueCounts{}, err
	}
	for _, r := range reasons {
		c.Reasons = append(c.Reasons, ReasonCount{Reason: r.Reason, N: r.N})
	}
	oldest, err := q.ReviewQueueOldest(ctx, tenant)
	if len(oldest) > 0 {
		c.Oldest = &oldest[0]
	}
	return c, err
}

// QueueSummary is the queue's size and age for the dashboard.
func (s *Service) QueueSummary(ctx context.Context, tenant, me uuid.UUID) (QueueCounts, error) {
	now := s.now()
	var c QueueCounts
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		c, err = queueCounts(ctx, q, tenant, me, now.Add(-ReviewFresh), now.Add(-ReviewSLA))
		return err
	})
	if err != nil {
		return QueueCounts{}, fmt.Errorf("kyc: review queue summary: %w", err)
	}
	return c, nil
}

// AssigneeName is the name of the employee a verification is assigned to,
// or "" when it is not assigned.
func (s *Service) AssigneeName(ctx context.Context, tenant uuid.UUID, v Verification) (string, error) {
	if v.AssigneeID == nil {
		return "", nil
	}
	var name string
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		name, err = q.StaffName(ctx, db.StaffNameParams{TenantID: tenant, ID: *v.AssigneeID})
		return err
	})
	if db.IsNotFound(err) {
		return "a former employee", nil
	}
	if err != nil {
		return "", fmt.Errorf("kyc: assignee: %w", err)
	}
	return name, nil
}

// Assign gives verification vr to the employee acting. A verification
// already with another employee stays theirs: taking it over is their
// colleague's call, not a click.
func (s *Service) Assign(ctx context.Context, tenant, vr uuid.UUID) (Verification, error) {
	me := actor.From(ctx)
	meID, err := uuid.Parse(me.ID)
	if me.Kind != actor.Employee || err != nil {
		return Verification{}, apperr.New(apperr.Forbidden, "only an employee can take a review")
	}
	var out Verification
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.VerificationRequestForUpdate(ctx, db.VerificationRequestForUpdateParams{TenantID: tenant, ID: vr})
		if err != nil {
			return err
		}
		if row.Status != StatusPendingReview {
			return errNotInReview(row)
		}
		if row.AssigneeID != nil && *row.AssigneeID == meID {
			out = verificationFrom(row)
			return nil
		}
		if row.AssigneeID != nil {
			name, err := q.StaffName(ctx, db.StaffNameParams{TenantID: tenant, ID: *row.AssigneeID})
			if err != nil && !db.IsNotFound(err) {
				return err
			}
			if err == nil {
				return apperr.New(apperr.Conflict, "this review is already assigned to %s", name).WithAPI("ALREADY_ASSIGNED")
			}
		}
		updated, err := q.AssignReview(ctx, db.AssignReviewParams{TenantID: tenant, ID: vr, AssigneeID: &meID})
		if err != nil {
			return err
		}
		out = verificationFrom(updated)
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "verification.assigned", EntityType: "verification_request",
			EntityID: vr.String(), Before: map[string]any{"assigneeId": row.AssigneeID}, After: map[string]any{"assigneeId": meID, "assigneeName": me.Name}})
	})
	if db.IsNotFound(err) {
		return Verification{}, errNotFound()
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Verification{}, err
		}
		return Verification{}, fmt.Errorf("kyc: assign: %w", err)
	}
	return out, nil
}

// Review decisions.
const (
	DecisionApprove  = "APPROVE"
	DecisionReject   = "REJECT"
	DecisionMoreInfo = "REQUEST_MORE_INFO"
)

// Decisions lists them in the order forms offer them.
var Decisions = []string{DecisionApprove, DecisionReject, DecisionMoreInfo}

// Limits of a review's text, documented in the API description.
const (
	MaxReviewerNotes    = 4000
	MaxAdditionalChecks = 20
)

// AdditionalCheckInput is a check the reviewer made by hand, as sent.
type AdditionalCheckInput struct {
	Type        string
	Result      string
	PerformedAt string // RFC 3339; empty means now
}

// RiskMitigationInput is what the reviewer imposes on approval, as sent:
// amounts are decimal strings in the wallet's currency.
type RiskMitigationInput struct {
	EnhancedMonitoring    bool
	DailyLimit            string
	RequiresApprovalAbove string
}

// ReviewInput is a reviewer's decision.
type ReviewInput struct {
	Decision         string
	Notes            string
	AdditionalChecks []AdditionalCheckInput
	RiskMitigation   *RiskMitigationInput
	// Version, when not zero, is the version the reviewer looked at: a
	// verification that changed since is refused rather than decided
	// blind.
	Version int
	// MayDecideHighRisk says the reviewer may decide HIGH-risk
	// verifications: a SENIOR_REVIEWER in the portal, an API client with
	// the verification:review_high_risk scope.
	MayDecideHighRisk bool
}

// AdditionalCheck is a stored additional check.
type AdditionalCheck struct {
	Type        string    `json:"type"`
	Result      string    `json:"result"`
	PerformedAt time.Time `json:"performedAt"`
}

// RiskMitigation is what an approval imposed, as stored.
type RiskMitigation struct {
	EnhancedMonitoring bool `json:"enhancedMonitoring"`
	TransactionLimits  struct {
		DailyLimit            *decimal.Decimal `json:"dailyLimit,omitempty"`
		RequiresApprovalAbove *decimal.Decimal `json:"requiresApprovalAbove,omitempty"`
	} `json:"transactionLimits"`
}

// ParseRiskMitigation reads a stored risk mitigation; nil when none.
func ParseRiskMitigation(raw json.RawMessage) *RiskMitigation {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rm RiskMitigation
	if json.Unmarshal(raw, &rm) != nil {
		return nil
	}
	return &rm
}

// ParseAdditionalChecks reads stored additional checks.
func ParseAdditionalChecks(raw json.RawMessage) []AdditionalCheck {
	var out []AdditionalCheck
	_ = json.Unmarshal(raw, &out)
	return out
}

// maxAmount bounds a limit: the numeric(18, 2) columns it lands in.
var maxAmount = decimal.New(1, 16)

func parseAmount(fe *apperr.Fields, field, v string) *decimal.Decimal {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	d, err := decimal.NewFromString(v)
	switch {
	case err != nil || strings.ContainsAny(v, "eE"):
		fe.Add(field, "must be a decimal amount such as 2500.00")
	case !d.IsPositive():
		fe.Add(field, "must be more than zero")
	case !d.Equal(d.Round(2)):
		fe.Add(field, "must have at most two decimal places")
	case d.GreaterThanOrEqual(maxAmount):
		fe.Add(field, "must be less than 10,000,000,000,000,000")
	default:
		r := d.Round(2)
		return &r
	}
	return nil
}

// validate checks a decision and returns what to store.
func (in ReviewInput) validate(now time.Time) (notes string, checks []AdditionalCheck, rm *RiskMitigation, err error) {
	var fe apperr.Fields
	if !slices.Contains(Decisions, in.Decision) {
		fe.Add("decision", "must be APPROVE, REJECT or REQUEST_MORE_INFO")
	}
	notes = strings.TrimSpace(in.Notes)
	switch {
	case notes == "":
		fe.Add("reviewerNotes", "is required: say what you checked and why you decided so")
	case len([]rune(notes)) > MaxReviewerNotes:
		fe.Add("reviewerNotes", "must be at most %d characters", MaxReviewerNotes)
	}
	if len(in.AdditionalChecks) > MaxAdditionalChecks {
		fe.Add("additionalChecks", "must hold at most %d checks", MaxAdditionalChecks)
	}
	for i, c := range in.AdditionalChecks {
		p := fmt.Sprintf("additionalChecks[%d]", i)
		ac := AdditionalCheck{Type: strings.ToUpper(strings.TrimSpace(c.Type)), Result: strings.TrimSpace(c.Result), PerformedAt: now.UTC()}
		switch {
		case ac.Type == "":
			fe.Add(p+".type", "is required, e.g. ENHANCED_DUE_DILIGENCE or SOURCE_OF_WEALTH")
		case len(ac.Type) > 64 || strings.Trim(ac.Type, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "":
			fe.Add(p+".type", "must be at most 64 letters, digits or underscores, e.g. SOURCE_OF_WEALTH")
		}
		switch {
		case ac.Result == "":
			fe.Add(p+".result", "is required, e.g. VERIFIED or CLEAR")
		case len([]rune(ac.Result)) > 200:
			fe.Add(p+".result", "must be at most 200 characters")
		}
		if at := strings.TrimSpace(c.PerformedAt); at != "" {
			t, err := time.Parse(time.RFC3339, at)
			switch {
			case err != nil:
				fe.Add(p+".performedAt", "must be a time such as 2026-01-31T14:05:00Z")
			case t.After(now.Add(5 * time.Minute)):
				fe.Add(p+".performedAt", "must not be in the future")
			default:
				ac.PerformedAt = t.UTC()
			}
		}
		checks = append(checks, ac)
	}
	if m := in.RiskMitigation; m != nil {
		const lp = "riskMitigation.transactionLimits."
		daily := parseAmount(&fe, lp+"dailyLimit", m.DailyLimit)
		above := parseAmount(&fe, lp+"requiresApprovalAbove", m.RequiresApprovalAbove)
		if daily != nil && above != nil && above.GreaterThan(*daily) {
			fe.Add(lp+"requiresApprovalAbove", "must not be more than the daily limit")
		}
		if in.Decision != DecisionApprove && (m.EnhancedMonitoring || daily != nil || above != nil) {
			fe.Add("riskMitigation", "applies only to an approval")
		}
		if m.EnhancedMonitoring || daily != nil || above != nil {
			rm = &RiskMitigation{EnhancedMonitoring: m.EnhancedMonitoring}
			rm.TransactionLimits.DailyLimit, rm.TransactionLimits.RequiresApprovalAbove = daily, above
		}
	}
	return notes, checks, rm, fe.Err()
}

func errNotInReview(row db.VerificationRequest) error {
	if row.Decision != nil && row.Status != StatusPendingReview {
		by := ""
		if row.DecidedByName != nil && *row.DecidedByName != "" {
			by = " by " + *row.DecidedByName
		}
		return apperr.New(apperr.Conflict, "this verification was already decided%s: it is now %s", by, row.Status).WithAPI("ALREADY_DECIDED")
	}
	return apperr.New(apperr.Conflict, "this verification is %s, not waiting for review", row.Status).WithAPI("VERIFICATION_NOT_IN_REVIEW")
}

// Decide records a reviewer's decision on verification vr: APPROVE makes
// it APPROVED (method MANUAL), REJECT makes it REJECTED, and
// REQUEST_MORE_INFO makes it MORE_INFO_REQUIRED so the customer may upload
// again. The reviewer is the actor in ctx. Of two reviewers deciding at
// once, the first wins and the second is told who did. The decision, its
// audit records and the verification.status.changed event are one
// transaction.
func (s *Service) Decide(ctx context.Context, tenant, vr uuid.UUID, in ReviewInput) (Verification, error) {
	now := s.now()
	in.Decision = strings.ToUpper(strings.TrimSpace(in.Decision))
	notes, checks, rm, err := in.validate(now)
	if err != nil {
		return Verification{}, err
	}
	who := actor.From(ctx)
	if who.Kind != actor.Employee && who.Kind != actor.APIClient {
		return Verification{}, apperr.New(apperr.Forbidden, "only an employee or an API client can decide a review")
	}
	var by *uuid.UUID
	if id, err := uuid.Parse(who.ID); err == nil {
		by = &id
	}
	status := map[string]string{DecisionApprove: StatusApproved, DecisionReject: StatusRejected, DecisionMoreInfo: StatusMoreInfoRequired}[in.Decision]
	var out Verification
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.VerificationRequestForUpdate(ctx, db.VerificationRequestForUpdateParams{TenantID: tenant, ID: vr})
		if err != nil {
			return err
		}
		if row.Status != StatusPendingReview {
			return errNotInReview(row)
		}
		if in.Version != 0 && int(row.Version) != in.Version {
			return apperr.New(apperr.Conflict, "this verification changed since you opened it; look at it again before deciding").WithAPI("VERIFICATION_CHANGED")
		}
		if row.RiskLevel == "HIGH" && !in.MayDecideHighRisk {
			if who.Kind == actor.APIClient {
				return apperr.New(apperr.Forbidden, "this verification is HIGH risk: deciding it needs the verification:review_high_risk scope, or a senior reviewer in the portal").WithAPI("SENIOR_REVIEW_REQUIRED")
			}
			return apperr.New(apperr.Forbidden, "this verification is HIGH risk: a senior reviewer must decide it").WithAPI("SENIOR_REVIEW_REQUIRED")
		}
		p := db.DecideVerificationParams{TenantID: tenant, ID: vr, Status: status, Decision: &in.Decision, DecidedBy: by,
			DecidedByName: &who.Name, ReviewerNotes: &notes}
		if checks != nil {
			if p.AdditionalChecks, err = json.Marshal(checks); err != nil {
				return err
			}
		}
		if rm != nil {
			if p.RiskMitigation, err = json.Marshal(rm); err != nil {
				return err
			}
		}
		if status != StatusMoreInfoRequired {
			p.CompletedAt = &now
		}
		if status == StatusApproved {
			manual := "MANUAL"
			p.VerificationMethod = &manual
		}
		updated, err := q.DecideVerification(ctx, p)
		if err != nil {
			return err
		}
		pack, _, err := s.packInForce(ctx, q, tenant, row.CustomerID, row.RiskLevel, false)
		if err != nil {
			return err
		}
		if err := q.SetVerificationCompliancePack(ctx, db.SetVerificationCompliancePackParams{TenantID: tenant, ID: vr, CompliancePack: pack}); err != nil {
			return err
		}
		out = verificationFrom(updated)
		docStatus := map[string]string{StatusApproved: DocValid, StatusRejected: DocInvalid}[status]
		if docStatus != "" {
			if err := q.SetDocumentsStatus(ctx, db.SetDocumentsStatusParams{TenantID: tenant, VerificationRequestID: vr, Status: docStatus}); err != nil {
				return err
			}
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "verification.reviewed", EntityType: "verification_request",
			EntityID: vr.String(), CustomerID: row.CustomerID, ReasonCode: in.Decision,
			Before: map[string]any{"status": row.Status, "riskLevel": row.RiskLevel, "reasonsForReview": row.ReasonsForReview, "version": row.Version},
			After: map[string]any{"status": status, "decision": in.Decision, "reviewerNotes": notes, "additionalChecks": checks,
				"riskMitigation": rm, "decidedBy": who.Name, "version": updated.Version, "compliancePack": pack}}); err != nil {
			return err
		}
		return statusChanged(ctx, q, tenant, vr, row.CustomerID, row.Status, status, now)
	})
	if db.IsNotFound(err) {
		return Verification{}, errNotFound()
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Verification{}, err
		}
		return Verification{}, fmt.Errorf("kyc: decide: %w", err)
	}
	if status == StatusApproved {
		s.autoActivate(ctx, tenant, out.CustomerID)
	}
	return out, nil
}

// Document is a document's record, without its content and without
// counting as a view.
func (s *Service) Document(ctx context.Context, tenant, id uuid.UUID) (DocumentInfo, error) {
	var doc db.Document
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		doc, err = q.Document(ctx, db.DocumentParams{TenantID: tenant, ID: id})
		return err
	})
	if db.IsNotFound(err) {
		return DocumentInfo{}, errDocumentNotFound()
	}
	if err != nil {
		return DocumentInfo{}, fmt.Errorf("kyc: document: %w", err)
	}
	return docInfo(doc), nil
}

// DocumentView is a document's record with the verification it belongs
// to, for the viewer. Its content is read, and the view audited, by Open.
func (s *Service) DocumentView(ctx context.Context, tenant, id uuid.UUID) (DocumentInfo, Verification, error) {
	var (
		doc db.Document
		v   Verification
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if doc, err = q.Document(ctx, db.DocumentParams{TenantID: tenant, ID: id}); err != nil {
			return err
		}
		v, err = loadVerification(ctx, q, tenant, doc.VerificationRequestID)
		return err
	})
	if db.IsNotFound(err) {
		return DocumentInfo{}, Verification{}, errDocumentNotFound()
	}
	if err != nil {
		return DocumentInfo{}, Verification{}, fmt.Errorf("kyc: document: %w", err)
	}
	return docInfo(doc), v, nil
}

// ChecksUsing lists the checks of v whose evidence names document id.
func (v Verification) ChecksUsing(id uuid.UUID) []StoredCheck {
	var out []StoredCheck
	for _, c := range v.Checks {
		if d, ok := c.Evidence["documentId"].(string); ok && d == id.String() {
			out = append(out, c)
		}
	}
	return out
}

// DecidedDay is how many verifications were approved (automatically or by
// a reviewer) and rejected on one day.
type DecidedDay struct {
	Day                 time.Time
	Automated, Reviewed int64
	Rejected            int64
}

// DecidedPerDay counts the verifications decided on each of the last days
// days up to now, in loc, oldest first, days without any included.
func (s *Service) DecidedPerDay(ctx context.Context, tenant uuid.UUID, loc *time.Location, now time.Time, days int) ([]DecidedDay, error) {
	run := calendar.Last(days, now, loc)
	out := make([]DecidedDay, days)
	for i := range out {
		out[i].Day = run.Day(i)
	}
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.VerificationsDecidedPerDay(ctx, db.VerificationsDecidedPerDayParams{TimeZone: loc.String(), TenantID: tenant, Since: run.First})
		for _, r := range rows {
			i, ok := run.Index(r.Day)
			switch {
			case !ok:
			case r.Status == StatusRejected:
				out[i].Rejected += r.N
			case r.Method == "AUTOMATED":
				out[i].Automated += r.N
			default:
				out[i].Reviewed += r.N
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: decided per day: %w", err)
	}
	return out, nil
}
