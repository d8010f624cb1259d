// Package kyc owns verification: requirements per country and risk level,
// document upload (judged by its bytes, sealed at rest), the automated
// checks and their evidence, risk-based routing to automatic approval or
// to people, reviewers' decisions, and activation.
package kyc

import (
	"context"
	"image"
	"runtime"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/evidence/face"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/screening"
)

// Verification statuses.
const (
	StatusAwaitingDocuments = customer.VerificationAwaitingDocuments
	StatusDocumentsReceived = "DOCUMENTS_RECEIVED"
	StatusInProgress        = "IN_PROGRESS"
	StatusPendingReview     = "PENDING_REVIEW"
	StatusApproved          = "APPROVED"
	StatusRejected          = "REJECTED"
	StatusMoreInfoRequired  = "MORE_INFO_REQUIRED"
)

// Document statuses, as the customer record shows them.
const (
	DocReviewing = "SUBMITTED|REVIEWING"
	DocValid     = "SUBMITTED|VALID"
	DocInvalid   = "SUBMITTED|INVALID"
	DocMissing   = "MISSING"
)

// Limits, documented in the README.
const (
	// MaxDocumentBytes is the largest file accepted.
	MaxDocumentBytes = 10 << 20
	// MaxRejectedUploads locks a verification after so many refused uploads.
	MaxRejectedUploads = 5
	// ProofOfAddressMaxAge is how recent a proof of address must be.
	ProofOfAddressMaxAge = 90 * 24 * time.Hour
)

// Screener screens a person against sanctions and PEP lists; the
// screening capability provides it. Without one, the checks say
// NOT_CHECKED, never CLEAR.
type Screener interface {
	ScreenPerson(ctx context.Context, tenant uuid.UUID, p Person) (ScreeningResult, error)
}

// Person is who is screened.
type Person struct {
	CustomerID  uuid.UUID
	Name        string
	DateOfBirth time.Time
	Country     string
	// Enhanced asks for the stricter threshold (sanctionsCheck ENHANCED).
	Enhanced bool
	// Identifiers are the customer's document numbers (read from the
	// identity document, given as virtual documents).
	Identifiers []screening.Identifier
}

// ScreeningResult is what screening said.
type ScreeningResult struct {
	Sanctions string // CLEAR, POSSIBLE_MATCH or MATCH
	PEP       string // NOT_PEP, POSSIBLE_PEP or PEP
	// ListsChecked names the lists by publisher, as guide 004 does
	// (OFAC, UN, PEP); ListVersions says which version of each source.
	ListsChecked []string
	ListVersions []map[string]any
	Evidence     any
}

// FaceMatcher compares the face on a selfie with the one on an identity
// document (internal/evidence/face provides it). Without one, the selfie
// check says NOT_CHECKED.
type FaceMatcher interface {
	Compare(ctx context.Context, selfie, idPhoto image.Image) (face.Comparison, error)
}

// JobInserter queues a job inside a transaction (the River client).
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service runs verifications.
type Service struct {
	pool      *pgxpool.Pool
	crypt     *fieldcrypt.Keys
	store     Storage
	customers *customer.Service
	now       func() time.Time
	// Jobs queues the checks; set once the queue runs.
	Jobs JobInserter
	// Screener and Faces are optional capabilities.
	Screener Screener
	Faces    FaceMatcher
	// FacesUnavailable says why there is no FaceMatcher, for the checks'
	// evidence.
	FacesUnavailable string
	// Reader reads documents (OCR, MRZ, quality); without one nothing is
	// read, and the identity and address checks say NOT_CHECKED.
	Reader *evidence.Reader
	// PackInForce, when set, names the regulatory pack in force for
	// customer cust at risk level risk (internal/compliance): it is
	// recorded with each decision, and when its EDD triggers apply (pep:
	// the customer is a declared or possible PEP) the verification goes
	// to people with ENHANCED_DUE_DILIGENCE.
	PackInForce func(ctx context.Context, q *db.Queries, tenant, cust uuid.UUID, risk string, pep bool) (pack any, edd bool, err error)

	readSlots chan struct{} // bounds the documents read at once
}

// NewService returns the verification service.
func NewService(pool *pgxpool.Pool, crypt *fieldcrypt.Keys, store Storage, customers *customer.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, crypt: crypt, store: store, customers: customers, now: now,
		readSlots: make(chan struct{}, runtime.NumCPU())}
}

func errNotFound() error {
	return apperr.New(apperr.NotFound, "no such verification request").WithAPI("VERIFICATION_NOT_FOUND")
}
