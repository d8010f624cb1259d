package kyc

import (
	"context"
	"fmt"

	"github.com/ciamhq/ciam/internal/customer"
)

// requirementsCheck: every document the customer's requirements ask for
// has been given.
func requirementsCheck(_ context.Context, _ *Service, in *checkInput) ([]CheckResult, error) {
	missing := []string{}
	for _, r := range in.reqs {
		if _, ok := in.latest[r.Type]; r.Required && !ok {
			missing = append(missing, r.Type)
		}
	}
	res := CheckResult{Kind: CheckRequirements, Status: Passed, Evidence: map[string]any{"riskLevel": in.cust.RiskLevel, "country": in.country, "missing": missing}}
	if len(missing) > 0 {
		res.Status = Failed
	}
	return []CheckResult{res}, nil
}

// identityStage runs identityCheck on the latest identity document.
func identityStage(_ context.Context, _ *Service, in *checkInput) ([]CheckResult, error) {
	d, ok := in.latest["IDENTITY_DOCUMENT"]
	if !ok {
		return []CheckResult{{Kind: CheckIdentity, Status: Failed, Evidence: map[string]any{"reason": "no identity document"}}}, nil
	}
	ev, err := in.open(d)
	if err != nil {
		return nil, err
	}
	return []CheckResult{identityCheck(d, ev, in.reading, in.cust, in.now)}, nil
}

// addressStage runs addressCheck on the latest proof of address.
func addressStage(_ context.Context, _ *Service, in *checkInput) ([]CheckResult, error) {
	d, ok := in.latest["PROOF_OF_ADDRESS"]
	if !ok {
		return []CheckResult{{Kind: CheckAddress, Status: NotRequired, Evidence: map[string]any{"reason": "no proof of address required or given"}}}, nil
	}
	ev, err := in.open(d)
	if err != nil {
		return nil, err
	}
	rq, _ := in.requirement("PROOF_OF_ADDRESS")
	return []CheckResult{addressCheck(d, ev, in.reading, in.cust, in.now, rq.MaxAgeDays)}, nil
}

// ageCheck: the customer is at least the tenant's minimum age, by the
// registered date of birth (which the identity check holds against the
// document).
func ageCheck(_ context.Context, _ *Service, in *checkInput) ([]CheckResult, error) {
	age := customer.Age(in.cust.DateOfBirth, in.now)
	res := CheckResult{Kind: CheckAge, Status: Passed, Evidence: map[string]any{"age": age, "minimum": in.settings.MinAge}}
	if age < in.settings.MinAge {
		res.Status = Failed
	}
	return []CheckResult{res}, nil
}

// screeningCheck screens the customer against the sanctions and PEP lists
// (with the stricter threshold when their categorisation asks for it).
// Without screening, or without a list of a kind, the check says
// NOT_CHECKED, never CLEAR.
func screeningCheck(ctx context.Context, s *Service, in *checkInput) ([]CheckResult, error) {
	if s.Screener == nil {
		ev := map[string]any{"reason": "screening is not available; nothing was checked"}
		return []CheckResult{{Kind: CheckSanctions, Status: NotChecked, Evidence: ev}, {Kind: CheckPEP, Status: NotChecked, Evidence: ev}}, nil
	}
	c := in.cust
	ids, err := s.screeningIdentifiers(ctx, in)
	if err != nil {
		return nil, err
	}
	sr, err := s.Screener.ScreenPerson(ctx, in.tenant, Person{CustomerID: c.ID, Name: c.FullName(), DateOfBirth: c.DateOfBirth,
		Country: c.Nationality, Enhanced: in.profile.Enhanced(), Identifiers: ids})
	if err != nil {
		return nil, fmt.Errorf("kyc: screening: %w", err)
	}
	san := map[string]string{"CLEAR": Passed, "POSSIBLE_MATCH": PossibleMatch, "MATCH": Match}[sr.Sanctions]
	pep := map[string]string{"NOT_PEP": Passed, "POSSIBLE_PEP": PossibleMatch, "PEP": Match}[sr.PEP]
	if san == "" { // no list of the kind was looked at
		san = NotChecked
	}
	if pep == "" {
		pep = NotChecked
	}
	ev := map[string]any{"listsChecked": sr.ListsChecked, "listVersions": sr.ListVersions, "result": sr.Evidence,
		"sanctions": sr.Sanctions, "pep": sr.PEP, "enhanced": in.profile.Enhanced()}
	return []CheckResult{{Kind: CheckSanctions, Status: san, Evidence: ev}, {Kind: CheckPEP, Status: pep, Evidence: ev}}, nil
}

// selfieStage runs selfieCheck on the latest selfie, noting whether the
// customer's requirements ask for one.
func selfieStage(_ context.Context, _ *Service, in *checkInput) ([]CheckResult, error) {
	required := false
	if rq, ok := in.requirement("SELFIE"); ok {
		required = rq.Required
	}
	d, ok := in.latest["SELFIE"]
	if !ok {
		return []CheckResult{{Kind: CheckSelfie, Status: NotRequired, Evidence: map[string]any{"reason": "no selfie given", "required": required}}}, nil
	}
	ev, err := in.open(d)
	if err != nil {
		return nil, err
	}
	r := selfieCheck(d, ev)
	r.Evidence["required"] = required
	return []CheckResult{r}, nil
}
