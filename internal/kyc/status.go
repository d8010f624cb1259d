package kyc

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
)

// StoredCheck is a check as stored.
type StoredCheck struct {
	Kind     string
	Status   string
	Score    *float64
	Evidence map[string]any
	At       time.Time
}

// DocumentInfo is a document's record, without its content.
type DocumentInfo struct {
	ID                    uuid.UUID
	VerificationRequestID uuid.UUID
	CustomerID            uuid.UUID
	Type                  string
	SubType               string
	FileName              string
	MIME                  string
	SizeBytes             int64
	Width                 int
	Height                int
	Pages                 int
	Status                string
	Metadata              Metadata
	CreatedAt             time.Time
}

// Verification is a verification request with its checks and documents.
type Verification struct {
	ID               uuid.UUID
	CustomerID       uuid.UUID
	Status           string
	RiskLevel        string
	Method           string
	ReasonsForReview []string
	AssignedTo       string
	AssigneeID       *uuid.UUID
	AssignedAt       *time.Time
	ChecksState      string
	Locked           bool
	RejectedUploads  int
	Decision         string
	DecidedByName    string
	ReviewerNotes    string
	RiskMitigation   json.RawMessage
	AdditionalChecks json.RawMessage
	// ReviewQueuedAt is when the verification last entered the review
	// queue; its age against ReviewSLA counts from here.
	ReviewQueuedAt *time.Time
	CompletedAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int
	Checks         []StoredCheck
	Documents      []DocumentInfo
}

func verificationFrom(r db.VerificationRequest) Verification {
	v := Verification{ID: r.ID, CustomerID: r.CustomerID, Status: r.Status, RiskLevel: r.RiskLevel, ReasonsForReview: r.ReasonsForReview,
		AssigneeID: r.AssigneeID, AssignedAt: r.AssignedAt, ChecksState: r.ChecksState, Locked: r.Locked, RejectedUploads: int(r.RejectedUploads),
		RiskMitigation: r.RiskMitigation, AdditionalChecks: r.AdditionalChecks, ReviewQueuedAt: r.ReviewQueuedAt, CompletedAt: r.CompletedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: int(r.Version)}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	v.Method, v.AssignedTo, v.Decision = deref(r.VerificationMethod), deref(r.AssignedTo), deref(r.Decision)
	v.DecidedByName, v.ReviewerNotes = deref(r.DecidedByName), deref(r.ReviewerNotes)
	return v
}

func docInfo(d db.Document) DocumentInfo {
	i := DocumentInfo{ID: d.ID, VerificationRequestID: d.VerificationRequestID, CustomerID: d.CustomerID, Type: d.Type, SubType: d.SubType, FileName: d.FileName, MIME: d.Mime, SizeBytes: d.SizeBytes,
		Status: d.Status, CreatedAt: d.CreatedAt}
	if d.Width != nil {
		i.Width = int(*d.Width)
	}
	if d.Height != nil {
		i.Height = int(*d.Height)
	}
	if d.Pages != nil {
		i.Pages = int(*d.Pages)
	}
	_ = json.Unmarshal(d.Metadata, &i.Metadata)
	return i
}

// Get returns verification vr with its checks and documents; with
// customerOnly set, another customer's verification is not found.
func (s *Service) Get(ctx context.Context, tenant, vr uuid.UUID, customerOnly *uuid.UUID) (Verification, error) {
	var v Verification
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		v, err = loadVerification(ctx, q, tenant, vr)
		return err
	})
	if db.IsNotFound(err) || (err == nil && customerOnly != nil && *customerOnly != v.CustomerID) {
		return Verification{}, errNotFound()
	}
	if err != nil {
		return Verification{}, fmt.Errorf("kyc: get: %w", err)
	}
	return v, nil
}

// loadVerification reads verification vr with its checks and documents
// inside q's transaction.
func loadVerification(ctx context.Context, q *db.Queries, tenant, vr uuid.UUID) (Verification, error) {
	row, err := q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr})
	if err != nil {
		return Verification{}, err
	}
	v := verificationFrom(row)
	checks, err := q.RequestChecks(ctx, db.RequestChecksParams{TenantID: tenant, VerificationRequestID: vr})
	if err != nil {
		return Verification{}, err
	}
	for _, c := range checks {
		v.Checks = append(v.Checks, storedCheck(c))
	}
	docs, err := q.RequestDocuments(ctx, db.RequestDocumentsParams{TenantID: tenant, VerificationRequestID: vr})
	for _, d := range docs {
		v.Documents = append(v.Documents, docInfo(d))
	}
	return v, err
}

// Check returns the check of kind, if run.
func (v Verification) Check(kind string) (StoredCheck, bool) {
	for _, c := range v.Checks {
		if c.Kind == kind {
			return c, true
		}
	}
	return StoredCheck{}, false
}

// DocumentSlot is where one type of document stands for a customer.
type DocumentSlot struct {
	Type   string
	Status string
	// UpdatedAt is when the document came in (or, for a missing one,
	// when the customer registered).
	UpdatedAt time.Time `json:"createdAt"`
}

// CustomerDocumentSlots gives a customer's document slots for GET
// /customers from the JSON that customer.Detail carries (documents newest
// first, the tenant's requirements): the latest document of each type with
// its status, then each required type not given yet as MISSING, dated
// registered.
func CustomerDocumentSlots(documents, requirements json.RawMessage, cip int, country, risk string, registered time.Time) ([]DocumentSlot, error) {
	var docs []DocumentSlot
	if err := json.Unmarshal(documents, &docs); err != nil {
		return nil, fmt.Errorf("kyc: customer documents: %w", err)
	}
	var rows []struct {
		ID                          uuid.UUID
		Country, RiskLevel, DocType string
		SubTypes                    []string
		Required                    bool
		MaxAgeDays                  *int32
		CIPTag                      int32 `json:"cipTag"`
	}
	if err := json.Unmarshal(requirements, &rows); err != nil {
		return nil, fmt.Errorf("kyc: requirements: %w", err)
	}
	reqs := make([]db.KycRequirement, len(rows))
	for i, r := range rows {
		reqs[i] = db.KycRequirement{ID: r.ID, Country: r.Country, RiskLevel: r.RiskLevel, DocType: r.DocType, SubTypes: r.SubTypes,
			Required: r.Required, MaxAgeDays: r.MaxAgeDays, CipTag: max(r.CIPTag, DefaultCIP)}
	}
	var out []DocumentSlot
	seen := map[string]bool{}
	for _, d := range docs {
		if !seen[d.Type] {
			seen[d.Type] = true
			out = append(out, d)
		}
	}
	for _, r := range requirementsFor(reqs, cip, country, risk) {
		if r.Required && !seen[r.Type] {
			out = append(out, DocumentSlot{Type: r.Type, Status: DocMissing, UpdatedAt: registered})
		}
	}
	return out, nil
}

// storedCheck reads a check's row.
func storedCheck(c db.VerificationCheck) StoredCheck {
	sc := StoredCheck{Kind: c.Kind, Status: c.Status, At: c.CreatedAt}
	if c.Score.Valid {
		f, _ := c.Score.Decimal.Float64()
		sc.Score = &f
	}
	_ = json.Unmarshal(c.Evidence, &sc.Evidence)
	return sc
}
