package kyc

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/evidence/face"
)

// selfieCheck compares the face on the selfie with the face on the
// identity document's photo: exactly one face on each, found and compared
// by the face models (internal/evidence/face). Without the models the
// check says NOT_CHECKED with the reason, never PASSED. A single still
// proves nothing about liveness, and no liveness is claimed.
func (s *Service) selfieCheck(ctx context.Context, tenant uuid.UUID, selfie db.Document, identity *db.Document) (CheckResult, error) {
	e := map[string]any{"documentId": selfie.ID, "liveness": NotChecked,
		"livenessReason": "a single still proves nothing about liveness; none is claimed"}
	res := CheckResult{Kind: CheckSelfie, Status: NotChecked, Evidence: e}
	switch {
	case s.Faces == nil:
		reason := s.FacesUnavailable
		if reason == "" {
			reason = "no face models on this server"
		}
		e["reason"] = reason + ": the selfie was not compared"
		return res, nil
	case identity == nil:
		res.Status = Failed
		e["reason"] = "no identity document to compare the selfie with"
		e["failures"] = []string{"NO_IDENTITY_DOCUMENT"}
		return res, nil
	}
	e["identityDocumentId"] = identity.ID
	selfieImg, err := s.decoded(ctx, tenant, selfie.ID)
	if err != nil {
		return res, err
	}
	idImg, err := s.decoded(ctx, tenant, identity.ID)
	if err != nil {
		return res, err
	}
	if selfieImg == nil || idImg == nil {
		e["reason"] = "the selfie or the identity document is a PDF: faces are compared on images only"
		return res, nil
	}
	cmp, err := s.Faces.Compare(ctx, selfieImg.Image, idImg.Image)
	if errors.Is(err, face.ErrUnavailable) {
		e["reason"] = err.Error() + ": the selfie was not compared"
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("kyc: compare faces: %w", err)
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
	return res, nil
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
