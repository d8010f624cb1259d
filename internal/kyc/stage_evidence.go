package kyc

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/evidence/face"
)

// The pipeline after the upload (intake.go), one River job a stage:
//
//	evidence (this file) → checks (checks.go) → routing and decision (stage_route.go)
//
// The upload has already judged, read and measured every document; this
// stage adds what takes longer: the face on the selfie compared with the
// one on the identity document, stored with the selfie.

// EvidenceArgs is the evidence stage of verification VerificationRequestID.
type EvidenceArgs struct {
	TenantID              uuid.UUID `json:"tenantId"`
	VerificationRequestID uuid.UUID `json:"verificationRequestId"`
}

// Kind names the job.
func (EvidenceArgs) Kind() string { return "kyc.evidence" }

// EvidenceWorker runs EvidenceArgs jobs.
type EvidenceWorker struct {
	river.WorkerDefaults[EvidenceArgs]
	S *Service
}

// Work gathers the evidence and queues the checks.
func (w *EvidenceWorker) Work(ctx context.Context, job *river.Job[EvidenceArgs]) error {
	return w.S.GatherEvidence(ctx, job.Args.TenantID, job.Args.VerificationRequestID)
}

// GatherEvidence compares the latest selfie's face with the latest
// identity document's, stores the comparison with the selfie (sealed),
// and queues the checks (or runs them, without a queue).
func (s *Service) GatherEvidence(ctx context.Context, tenant, vr uuid.UUID) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "automated checks", TenantID: tenant})
	var (
		req  db.VerificationRequest
		docs []db.Document
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if req, err = q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr}); err != nil {
			return err
		}
		docs, err = q.RequestDocuments(ctx, db.RequestDocumentsParams{TenantID: tenant, VerificationRequestID: vr})
		return err
	})
	if err != nil {
		return fmt.Errorf("kyc: evidence: %w", err)
	}
	if req.Status != StatusDocumentsReceived {
		return nil // decided or reopened since the job was queued
	}
	if err := s.ensureFaces(ctx, tenant, latestOfEachType(docs)); err != nil {
		return err
	}
	return s.next(ctx, tenant, vr, CheckArgs{TenantID: tenant, VerificationRequestID: vr}, func() error { return s.RunChecks(ctx, tenant, vr) })
}

// latestOfEachType picks, of documents oldest first, the latest of each
// type.
func latestOfEachType(docs []db.Document) map[string]db.Document {
	latest := map[string]db.Document{}
	for _, d := range docs {
		latest[d.Type] = d
	}
	return latest
}

// ensureFaces makes sure the latest selfie of latest carries its
// comparison with the latest identity document, updating latest. The
// checks stage calls it too: documents uploaded while an earlier run was
// under way may reach the checks before their own evidence stage.
func (s *Service) ensureFaces(ctx context.Context, tenant uuid.UUID, latest map[string]db.Document) error {
	selfie, ok := latest["SELFIE"]
	if !ok {
		return nil
	}
	var id *db.Document
	if d, ok := latest["IDENTITY_DOCUMENT"]; ok {
		id = &d
	}
	sealed, err := s.compareFaces(ctx, tenant, selfie, id)
	if err != nil {
		return err
	}
	if sealed != nil {
		selfie.Evidence = sealed
		latest["SELFIE"] = selfie
	}
	return nil
}

// compareFaces stores with the selfie its comparison with the identity
// document, unless it has one with that document already, and returns the
// new sealed evidence (nil when nothing changed).
func (s *Service) compareFaces(ctx context.Context, tenant uuid.UUID, selfie db.Document, identity *db.Document) ([]byte, error) {
	ev, err := openEvidence(s.crypt, selfie.ID, selfie.Evidence)
	if err != nil {
		return nil, err
	}
	if ev == nil {
		ev = &evidence.Evidence{Kind: evidence.KindSelfie}
	}
	fe := &evidence.FaceEvidence{}
	switch {
	case identity == nil:
		fe.Unavailable = "no identity document to compare the selfie with"
	case s.Faces == nil:
		fe.Unavailable = s.FacesUnavailable
		if fe.Unavailable == "" {
			fe.Unavailable = "no face models on this server"
		}
	default:
		fe.With = identity.ID.String()
		if ev.Faces != nil && ev.Faces.With == fe.With && ev.Faces.Comparison != nil {
			return nil, nil // compared already
		}
		selfieImg, err := s.decoded(ctx, tenant, selfie.ID)
		if err != nil {
			return nil, err
		}
		idImg, err := s.decoded(ctx, tenant, identity.ID)
		if err != nil {
			return nil, err
		}
		if selfieImg == nil || idImg == nil {
			fe.Unavailable = "the selfie or the identity document is a PDF: faces are compared on images only"
			break
		}
		cmp, err := s.Faces.Compare(ctx, selfieImg.Image, idImg.Image)
		switch {
		case errors.Is(err, face.ErrUnavailable):
			fe.Unavailable = err.Error()
		case err != nil:
			return nil, fmt.Errorf("kyc: compare faces: %w", err)
		default:
			fe.Comparison = &cmp
		}
	}
	if ev.Faces != nil && *ev.Faces == *fe {
		return nil, nil // nothing new to say
	}
	ev.Faces = fe
	sealed, err := sealEvidence(s.crypt, selfie.ID, ev)
	if err != nil {
		return nil, err
	}
	return sealed, db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		return q.SetDocumentEvidence(ctx, db.SetDocumentEvidenceParams{TenantID: tenant, ID: selfie.ID, Evidence: sealed})
	})
}

// next queues the next stage's job, or, without a queue, runs it.
func (s *Service) next(ctx context.Context, tenant, vr uuid.UUID, args river.JobArgs, run func() error) error {
	if s.Jobs == nil {
		return run()
	}
	return db.InTenantTxPgx(ctx, s.pool, tenant, func(tx pgx.Tx, _ *db.Queries) error {
		_, err := s.Jobs.InsertTx(ctx, tx, args, &river.InsertOpts{MaxAttempts: 5})
		return err
	})
}
