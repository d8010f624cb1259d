package screening

import (
	"context"
)

// The verdicts of a person's screening, as the KYC checks report them.
const (
	SanctionsClear    = "CLEAR"
	SanctionsPossible = "POSSIBLE_MATCH"
	SanctionsMatch    = "MATCH"
	PEPNone           = "NOT_PEP"
	PEPPossible       = "POSSIBLE_PEP"
	PEPMatch          = "PEP"
	// NotChecked is the verdict when the tenant screens against no list of
	// the kind, or none is loaded: never CLEAR for what was not looked at.
	NotChecked = "NOT_CHECKED"
)

// Verdict is a person's screening summed up for onboarding: the best
// sanctions match and the best PEP match decide the two statuses.
type Verdict struct {
	Sanctions string // CLEAR, POSSIBLE_MATCH, MATCH or NOT_CHECKED
	PEP       string // NOT_PEP, POSSIBLE_PEP, PEP or NOT_CHECKED
	// BestSanctions and BestPEP are the strongest matches of each kind;
	// nil when there is none.
	BestSanctions *Match
	BestPEP       *Match
	Result        ScreenResult
}

// ScreenPerson screens a subject as ScreenSubject does (recording new
// hits for the queue) and sums the matches up per kind of list.
func (s *Service) ScreenPerson(ctx context.Context, sub Subject) (Verdict, error) {
	res, err := s.ScreenSubject(ctx, sub)
	if err != nil {
		return Verdict{}, err
	}
	return verdictOf(res), nil
}

func verdictOf(res ScreenResult) Verdict {
	v := Verdict{Sanctions: NotChecked, PEP: NotChecked, Result: res}
	for _, l := range res.ListsChecked {
		switch l.Kind {
		case KindPEP:
			v.PEP = PEPNone
		default:
			v.Sanctions = SanctionsClear
		}
	}
	for i := range res.Matches { // best first
		m := &res.Matches[i]
		switch {
		case m.ListKind == KindPEP && v.BestPEP == nil:
			v.BestPEP = m
			v.PEP = PEPPossible
			if m.Status == StatusMatch {
				v.PEP = PEPMatch
			}
		case m.ListKind != KindPEP && v.BestSanctions == nil:
			v.BestSanctions = m
			v.Sanctions = SanctionsPossible
			if m.Status == StatusMatch {
				v.Sanctions = SanctionsMatch
			}
		}
	}
	return v
}
