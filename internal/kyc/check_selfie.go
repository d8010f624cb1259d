package kyc

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/evidence"
)

// selfieCheck turns the face comparison the evidence stage stored with
// the selfie into a result: exactly one face on the selfie and one on the
// identity document, found and compared by the face models
// (internal/evidence/face), the same person by the model's threshold.
// Without the models it says NOT_CHECKED with the reason, never PASSED.
// A single still proves nothing about liveness, and no liveness is
// claimed.
func selfieCheck(selfie db.Document, ev *evidence.Evidence) CheckResult {
	e := map[string]any{"documentId": selfie.ID, "liveness": NotChecked,
		"livenessReason": "a single still proves nothing about liveness; none is claimed"}
	res := CheckResult{Kind: CheckSelfie, Status: NotChecked, Evidence: e}
	if ev == nil || ev.Faces == nil {
		e["reason"] = "the faces were not compared"
		return res
	}
	fe := ev.Faces
	if fe.With != "" {
		e["identityDocumentId"] = fe.With
	}
	cmp := fe.Comparison
	if cmp == nil {
		e["reason"] = fe.Unavailable + ": the selfie was not compared"
		return res
	}
	e["comparison"] = cmp
	switch {
	case !cmp.Compared:
		res.Status = Failed
		e["reason"] = cmp.Reason
		e["failures"] = []string{"FACE_COUNT"}
	case cmp.Match:
		res.Status = Passed
		res.Score = score(cmp.Similarity / 100)
	default:
		res.Status = Failed
		res.Score = score(cmp.Similarity / 100)
		e["failures"] = []string{"FACE_MISMATCH"}
		e["reason"] = fmt.Sprintf("the faces differ (similarity %.0f of 100; the same person scores above 50)", cmp.Similarity)
	}
	return res
}

// decoded reads a stored document and decodes it, for the checks that
// look at its pixels (nil facts' image for a PDF). It is the automated
// checks' own reading, not a person's view.
func (s *Service) decoded(ctx context.Context, tenant, id uuid.UUID) (*evidence.Facts, error) {
	var buf bytes.Buffer
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		return openFrom(ctx, s.crypt, s.store, q, tenant, id, &buf)
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: read document %s: %w", id, err)
	}
	f, err := evidence.Judge(ctx, buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("kyc: judge stored document %s: %w", id, err)
	}
	if f.Image == nil {
		return nil, nil
	}
	return &f, nil
}
