package kyc

import (
	"context"
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
// the screening to compare), each with all their document numbers. It
// opens each tenant's read identity documents and document-number virtual
// documents: the numbers are sealed, so no index can find them.
func (h holdingSubjects) Holding(ctx context.Context, ids []screening.Identifier) ([]screening.Subject, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[string(id.Kind)+"\x00"+screening.NormaliseIdentifier(id.Kind, id.Value)] = true
	}
	if len(want) == 0 || h.s.crypt == nil {
		return nil, nil // without keys nothing sealed can be read
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
		subs, err := h.holdersIn(ctx, tenant, want)
		if err != nil {
			return nil, fmt.Errorf("kyc: identifier holders: %w", err)
		}
		out = append(out, subs...)
	}
	return out, nil
}

func (h holdingSubjects) holdersIn(ctx context.Context, tenant uuid.UUID, want map[string]bool) ([]screening.Subject, error) {
	var docs []db.TenantIdentityDocumentEvidenceRow
	var virtual []db.TenantIdentifierVirtualDocumentsRow
	err := db.InTenantTx(ctx, h.s.pool, tenant, func(q *db.Queries) error {
		var err error
		if docs, err = q.TenantIdentityDocumentEvidence(ctx, tenant); err != nil {
			return err
		}
		virtual, err = q.TenantIdentifierVirtualDocuments(ctx, tenant)
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
