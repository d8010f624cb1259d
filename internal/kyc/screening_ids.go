package kyc

import (
	"context"
	"fmt"
	"strings"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/screening"
)

// screeningIdentifiers are the customer's documents as screening compares
// them with the lists: the number the server read from the identity
// document (its MRZ, or its visual zone), and the passport numbers,
// national ids, SSNs and TINs given as virtual documents. The values are
// opened for this purpose only and never leave the screening's memory:
// explanations name only the list's numbers.
func (s *Service) screeningIdentifiers(ctx context.Context, in *checkInput) ([]screening.Identifier, error) {
	var out []screening.Identifier
	if d, ok := in.latest["IDENTITY_DOCUMENT"]; ok {
		ev, err := in.open(d)
		if err != nil {
			return nil, err
		}
		read := readIdentity(ev)
		if read.DocumentNumber != "" {
			kind, country := screening.NationalID, read.Nationality
			if ev != nil && ev.MRZ != nil {
				if strings.HasPrefix(ev.MRZ.DocumentCode, "P") {
					kind = screening.PassportNumber
				}
				country = ev.MRZ.IssuingState
			} else if strings.Contains(strings.ToUpper(d.SubType), "PASSPORT") {
				kind = screening.PassportNumber
			}
			out = append(out, screening.Identifier{Kind: kind, Value: read.DocumentNumber, Country: country})
		}
	}
	if s.crypt == nil {
		return out, nil
	}
	var rows []db.VirtualDocument
	err := db.InTenantTx(ctx, s.pool, in.tenant, func(q *db.Queries) error {
		var err error
		rows, err = q.CustomerVirtualDocuments(ctx, db.CustomerVirtualDocumentsParams{TenantID: in.tenant, CustomerID: in.cust.ID})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: virtual documents: %w", err)
	}
	kinds := map[string]screening.IdentifierKind{"PASSPORT_NUMBER": screening.PassportNumber, "NATIONAL_ID": screening.NationalID,
		"SSN": screening.NationalID, "TIN": screening.TaxID}
	for _, r := range rows {
		kind, ok := kinds[r.SubType]
		if r.Kind != TypeVirtual || !ok {
			continue
		}
		b, err := s.crypt.Open(r.ValueSealed, VirtualAAD(r.ID))
		if err != nil {
			return nil, fmt.Errorf("kyc: virtual document %s: %w", r.ID, err)
		}
		country := r.Country
		if r.SubType == "SSN" {
			country = "US"
		}
		out = append(out, screening.Identifier{Kind: kind, Value: string(b), Country: country})
	}
	return out, nil
}
