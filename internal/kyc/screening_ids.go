package kyc

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/evidence"
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
		if id, ok := identityDocumentNumber(d.SubType, ev); ok {
			out = append(out, id)
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
	for _, r := range rows {
		if r.Kind != TypeVirtual {
			continue
		}
		id, ok, err := s.virtualIdentifier(r.ID, r.SubType, r.Country, r.ValueSealed)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// identityDocumentNumber is the document number read from an identity
// document, as a passport number when the MRZ or the sub-type says it is a
// passport and as a national id otherwise; false when none was read.
func identityDocumentNumber(subType string, ev *evidence.Evidence) (screening.Identifier, bool) {
	read := readIdentity(ev)
	if read.DocumentNumber == "" {
		return screening.Identifier{}, false
	}
	kind, country := screening.NationalID, read.Nationality
	if ev != nil && ev.MRZ != nil {
		if strings.HasPrefix(ev.MRZ.DocumentCode, "P") {
			kind = screening.PassportNumber
		}
		country = ev.MRZ.IssuingState
	} else if strings.Contains(strings.ToUpper(subType), "PASSPORT") {
		kind = screening.PassportNumber
	}
	return screening.Identifier{Kind: kind, Value: read.DocumentNumber, Country: country}, true
}

// identifierKinds are the virtual documents that are document numbers, as
// screening names their kinds.
var identifierKinds = map[string]screening.IdentifierKind{"PASSPORT_NUMBER": screening.PassportNumber, "NATIONAL_ID": screening.NationalID,
	"SSN": screening.NationalID, "TIN": screening.TaxID}

// virtualIdentifier opens a virtual document that is a document number;
// false for one of another sub-type.
func (s *Service) virtualIdentifier(docID uuid.UUID, subType, country string, sealed []byte) (screening.Identifier, bool, error) {
	kind, ok := identifierKinds[subType]
	if !ok {
		return screening.Identifier{}, false, nil
	}
	b, err := s.crypt.Open(sealed, VirtualAAD(docID))
	if err != nil {
		return screening.Identifier{}, false, fmt.Errorf("kyc: virtual document %s: %w", docID, err)
	}
	if subType == "SSN" {
		country = "US"
	}
	return screening.Identifier{Kind: kind, Value: string(b), Country: country}, true, nil
}
