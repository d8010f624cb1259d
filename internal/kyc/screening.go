package kyc

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/screening"
)

// ListScreener is the Screener of the screening capability: it screens the
// customer as an individual, with date of birth and nationality, against
// the lists the tenant screens against, and records new hits on the
// customer for the analysts' queue.
type ListScreener struct {
	Lists *screening.Service
}

// ScreenPerson screens p. The best sanctions match and the best PEP match
// decide the statuses; the evidence is every match with its explanation.
func (l ListScreener) ScreenPerson(ctx context.Context, tenant uuid.UUID, p Person) (ScreeningResult, error) {
	sub := screening.Subject{ID: p.CustomerID, TenantID: tenant, Name: p.Name, Type: screening.Individual, Country: p.Country, Enhanced: p.Enhanced,
		Identifiers: p.Identifiers}
	if !p.DateOfBirth.IsZero() {
		sub.DateOfBirth = p.DateOfBirth.Format(time.DateOnly)
	}
	v, err := l.Lists.ScreenPerson(ctx, sub)
	if err != nil {
		return ScreeningResult{}, err
	}
	lists, versions := []string{}, []map[string]any{}
	for _, ref := range v.Result.ListsChecked {
		name := screening.Publisher(ref.Source, ref.Kind)
		if !slices.Contains(lists, name) {
			lists = append(lists, name)
		}
		versions = append(versions, map[string]any{"list": name, "source": ref.Source, "version": ref.Version,
			"loadedAt": ref.LoadedAt.UTC().Format(time.RFC3339)})
	}
	matches := []map[string]any{}
	for _, m := range v.Result.Matches {
		matches = append(matches, map[string]any{
			"entryId": m.EntryID, "source": m.Source, "listKind": m.ListKind, "listVersion": m.ListVersion, "name": m.Name,
			"matchedName": m.MatchedName, "type": m.Type, "score": m.Score, "status": m.Status, "explanation": m.Explanation, "sources": m.Sources,
		})
	}
	hits := []string{}
	for _, h := range v.Result.NewHits {
		hits = append(hits, h.ID.String())
	}
	return ScreeningResult{
		Sanctions: v.Sanctions, PEP: v.PEP, ListsChecked: lists, ListVersions: versions,
		Evidence: map[string]any{"matches": matches, "newHits": hits},
	}, nil
}
