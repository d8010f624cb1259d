package aml

import (
	"context"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/screening"
)

// SanctionsScreener screens counterparties with the screening capability:
// the best entry of a sanctions list (not a PEP list) decides, a MATCH or a
// POSSIBLE_MATCH at the tenant's thresholds.
type SanctionsScreener struct {
	S *screening.Service
}

// ScreenCounterparty implements CounterpartyScreener.
func (s SanctionsScreener) ScreenCounterparty(ctx context.Context, tenant uuid.UUID, cp Counterparty) (SanctionsResult, error) {
	res, err := s.S.Search(ctx, tenant, screening.Query{Name: cp.Name, Country: cp.Country, Identifiers: screening.AccountIdentifiers(cp.Account)})
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		// A name screening cannot read (initials only, no letters) is not
		// checked, never a match.
		reason := e.Message
		if len(e.Fields) > 0 {
			reason = e.Fields[0].Issue
		}
		return SanctionsResult{Reason: reason}, nil
	}
	if err != nil {
		return SanctionsResult{}, err
	}
	out := SanctionsResult{Checked: true}
	for _, m := range res.Matches { // best first
		if m.ListKind != "SANCTIONS" {
			continue
		}
		out.Score = m.Score
		out.Matched = m.Status == screening.StatusMatch
		out.Possible = m.Status == screening.StatusPossibleMatch
		ev := map[string]any{"entryId": m.EntryID, "source": m.Source, "listVersion": m.ListVersion,
			"name": m.Name, "matchedName": m.MatchedName, "status": m.Status, "sources": m.Sources}
		if f := identifierFactorOf(m); f != "" {
			ev["identifier"] = f
		}
		out.Evidence = ev
		break
	}
	return out, nil
}

// identifierFactorOf is what an identifier said of a match, "" when none
// did.
func identifierFactorOf(m screening.Match) string {
	for _, f := range m.Explanation.Factors {
		if f.Factor == "identifier" {
			return f.Detail
		}
	}
	return ""
}
