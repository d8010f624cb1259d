package kyc

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/screening"
)

// ScreeningSubjects is base, every customer to re-screen, with what the
// KYC documents know besides: who holds a document number. A re-screening
// after a list update asks it for the holders of the numbers the update
// lists, so that a customer whose passport or national id a new entry
// carries is found whatever name the entry gives.
func (s *Service) ScreeningSubjects(base screening.Subjects) screening.Subjects {
	return holdingSubjects{Subjects: base, s: s}
}

type holdingSubjects struct {
	screening.Subjects
	s *Service
}

// Holding returns the customers, of every active tenant, not closed, who
// hold one of ids (kind and normalised value; the issuing country is for
// the screening to compare), each with all their document numbers. The
// numbers are sealed, so they are found by their screening digests
// (migration 00047): first each tenant's documents not digested yet are
// opened once and given theirs, then the holders of a listed number are
// found by its digest under every key, and only their documents opened.
func (h holdingSubjects) Holding(ctx context.Context, ids []screening.Identifier) ([]screening.Subject, error) {
	if h.s.crypt == nil {
		return nil, nil // without keys nothing sealed can be read
	}
	want := map[string]bool{}
	var digests [][]byte
	for _, id := range ids {
		n := screening.NormaliseIdentifier(id.Kind, id.Value)
		k := string(id.Kind) + "\x00" + n
		if n == "" || want[k] {
			continue
		}
		want[k] = true
		digests = append(digests, h.s.crypt.MACs(screeningDigestPurpose(id.Kind), []byte(n))...)
	}
	if len(want) == 0 {
		return nil, nil
	}
	var tenants []uuid.UUID
	err := db.InTx(ctx, h.s.pool, func(q *db.Queries) error {
		var err error
		tenants, err = q.ActiveTenantIDs(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: identifier holders: %w", err)
	}
	var out []screening.Subject
	for _, tenant := range tenants {
		if err := h.digestAll(ctx, tenant); err != nil {
			return nil, fmt.Errorf("kyc: screening digests: %w", err)
		}
		subs, err := h.holdersIn(ctx, tenant, want, digests)
		if err != nil {
			return nil, fmt.Errorf("kyc: identifier holders: %w", err)
		}
		out = append(out, subs...)
	}
	return out, nil
}

// screeningDigestPurpose keys the MAC of a document number of kind.
func screeningDigestPurpose(kind screening.IdentifierKind) string {
	return "screening-identifier:" + string(kind)
}

// screeningDigest is id's digest under the active key, or an empty one
// (not NULL: "digested, holds no number") when it has no value.
func (s *Service) screeningDigest(id screening.Identifier, ok bool) []byte {
	n := screening.NormaliseIdentifier(id.Kind, id.Value)
	if !ok || n == "" {
		return []byte{}
	}
	return s.crypt.MAC(screeningDigestPurpose(id.Kind), []byte(n))
}

// digestBatch is how many rows one transaction digests.
const digestBatch = 500

// digestRow is a row as digested: its id, the sealed bytes the digest was
// made from, and the digest.
type digestRow struct {
	id             uuid.UUID
	sealed, digest []byte
}

// digestAll gives the tenant's identity documents and virtual documents
// without a screening digest theirs, a batch at a time in id order.
func (h holdingSubjects) digestAll(ctx context.Context, tenant uuid.UUID) error {
	err := h.digestEach(ctx, tenant, func(q *db.Queries, after uuid.UUID) ([]digestRow, error) {
		rows, err := q.UndigestedIdentityDocuments(ctx, db.UndigestedIdentityDocumentsParams{TenantID: tenant, After: after, MaxRows: digestBatch})
		if err != nil {
			return nil, err
		}
		out := make([]digestRow, 0, len(rows))
		for _, d := range rows {
			ev, err := openEvidence(h.s.crypt, d.ID, d.Evidence)
			if err != nil {
				return nil, err
			}
			out = append(out, digestRow{id: d.ID, sealed: d.Evidence, digest: h.s.screeningDigest(identityDocumentNumber(d.SubType, ev))})
		}
		return out, nil
	}, func(q *db.Queries, ids []uuid.UUID, digests, sums [][]byte) error {
		return q.SetDocumentScreeningDigests(ctx, db.SetDocumentScreeningDigestsParams{TenantID: tenant, Ids: ids, Digests: digests, SealedSha256: sums})
	})
	if err != nil {
		return err
	}
	return h.digestEach(ctx, tenant, func(q *db.Queries, after uuid.UUID) ([]digestRow, error) {
		rows, err := q.UndigestedVirtualDocuments(ctx, db.UndigestedVirtualDocumentsParams{TenantID: tenant, After: after, MaxRows: digestBatch})
		if err != nil {
			return nil, err
		}
		out := make([]digestRow, 0, len(rows))
		for _, v := range rows {
			id, ok, err := h.s.virtualIdentifier(v.ID, v.SubType, v.Country, v.ValueSealed)
			if err != nil {
				return nil, err
			}
			out = append(out, digestRow{id: v.ID, sealed: v.ValueSealed, digest: h.s.screeningDigest(id, ok)})
		}
		return out, nil
	}, func(q *db.Queries, ids []uuid.UUID, digests, sums [][]byte) error {
		return q.SetVirtualDocumentScreeningDigests(ctx, db.SetVirtualDocumentScreeningDigestsParams{TenantID: tenant, Ids: ids,
			Digests: digests, SealedSha256: sums})
	})
}

// digestEach reads the rows without a digest after the last one read, a
// batch per transaction, and stores their digests with the SHA-256 of
// what each was made from, until a batch is short.
func (h holdingSubjects) digestEach(ctx context.Context, tenant uuid.UUID, read func(q *db.Queries, after uuid.UUID) ([]digestRow, error),
	store func(q *db.Queries, ids []uuid.UUID, digests, sums [][]byte) error) error {
	for after := uuid.Nil; ; {
		n := 0
		err := db.InTenantTx(ctx, h.s.pool, tenant, func(q *db.Queries) error {
			rows, err := read(q, after)
			if err != nil || len(rows) == 0 {
				return err
			}
			n = len(rows)
			ids, digests, sums := make([]uuid.UUID, n), make([][]byte, n), make([][]byte, n)
			for i, r := range rows {
				sum := sha256.Sum256(r.sealed)
				ids[i], digests[i], sums[i] = r.id, r.digest, sum[:]
			}
			after = ids[n-1]
			return store(q, ids, digests, sums)
		})
		if err != nil || n < digestBatch {
			return err
		}
	}
}

// holdersIn is the tenant's customers with a document whose digest is one
// of digests, with all their document numbers.
func (h holdingSubjects) holdersIn(ctx context.Context, tenant uuid.UUID, want map[string]bool, digests [][]byte) ([]screening.Subject, error) {
	var docs []db.CustomersIdentityDocumentEvidenceRow
	var virtual []db.CustomersIdentifierVirtualDocumentsRow
	err := db.InTenantTx(ctx, h.s.pool, tenant, func(q *db.Queries) error {
		holders, err := q.ScreeningDigestHolders(ctx, db.ScreeningDigestHoldersParams{TenantID: tenant, Digests: digests})
		if err != nil || len(holders) == 0 {
			return err
		}
		if docs, err = q.CustomersIdentityDocumentEvidence(ctx, db.CustomersIdentityDocumentEvidenceParams{TenantID: tenant, CustomerIds: holders}); err != nil {
			return err
		}
		virtual, err = q.CustomersIdentifierVirtualDocuments(ctx, db.CustomersIdentifierVirtualDocumentsParams{TenantID: tenant, CustomerIds: holders})
		return err
	})
	if err != nil {
		return nil, err
	}
	held := map[uuid.UUID][]screening.Identifier{}
	var order []uuid.UUID
	add := func(customerID uuid.UUID, id screening.Identifier) {
		if _, ok := held[customerID]; !ok {
			order = append(order, customerID)
		}
		held[customerID] = append(held[customerID], id)
	}
	for _, d := range docs {
		ev, err := openEvidence(h.s.crypt, d.ID, d.Evidence)
		if err != nil {
			return nil, err
		}
		if id, ok := identityDocumentNumber(d.SubType, ev); ok {
			add(d.CustomerID, id)
		}
	}
	for _, v := range virtual {
		id, ok, err := h.s.virtualIdentifier(v.ID, v.SubType, v.Country, v.ValueSealed)
		if err != nil {
			return nil, err
		}
		if ok {
			add(v.CustomerID, id)
		}
	}
	var out []screening.Subject
	for _, cid := range order {
		ids := held[cid]
		hit := false
		for _, id := range ids {
			hit = hit || want[string(id.Kind)+"\x00"+screening.NormaliseIdentifier(id.Kind, id.Value)]
		}
		if !hit {
			continue
		}
		c, err := h.s.customers.Get(ctx, tenant, cid)
		if err != nil {
			return nil, err
		}
		if c.Status == customer.StatusClosed {
			continue
		}
		sub := screening.Subject{ID: c.ID, TenantID: tenant, Name: strings.Join(strings.Fields(c.FullName()), " "), Type: screening.Individual,
			Country: c.Nationality, Identifiers: ids}
		if !c.DateOfBirth.IsZero() {
			sub.DateOfBirth = c.DateOfBirth.Format(time.DateOnly)
		}
		out = append(out, sub)
	}
	return out, nil
}
