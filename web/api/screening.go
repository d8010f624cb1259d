package api

import (
	"net/http"
	"time"

	"github.com/ciamhq/ciam/internal/screening"
)

// matchDTO is a match as the API shows it.
type matchDTO struct {
	EntryID     string                `json:"entryId"`
	Source      string                `json:"source"`
	ListKind    string                `json:"listKind"`
	ListVersion int                   `json:"listVersion"`
	Name        string                `json:"name"`
	MatchedName string                `json:"matchedName"`
	Type        string                `json:"type"`
	Score       float64               `json:"score"`
	Status      string                `json:"status"`
	Explanation screening.Explanation `json:"explanation"`
	// Sources are the entries on every list found to be this match's
	// subject, this one first.
	Sources []screening.MatchSource `json:"sources"`
}

// identifierDTO is an identifier of the subject screened.
type identifierDTO struct {
	Kind    string `json:"kind"`
	Value   string `json:"value"`
	Country string `json:"country"`
}

// listDTO is a list version that was searched.
type listDTO struct {
	Source   string `json:"source"`
	Kind     string `json:"kind"`
	Version  int    `json:"version"`
	LoadedAt string `json:"loadedAt"`
	Entries  int    `json:"entries"`
}

// HandleScreeningSearch is POST /screening/search: a name screened against
// the lists the tenant screens against, at or above its possible-match
// threshold, best first, each match with its explanation.
func (a *API) HandleScreeningSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			Name        string          `json:"name"`
			Type        string          `json:"type"`
			DateOfBirth string          `json:"dateOfBirth"`
			Country     string          `json:"country"`
			Identifiers []identifierDTO `json:"identifiers"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		ids := make([]screening.Identifier, 0, len(req.Identifiers))
		for _, id := range req.Identifiers {
			ids = append(ids, screening.Identifier{Kind: screening.IdentifierKind(id.Kind), Value: id.Value, Country: id.Country})
		}
		res, err := a.Screening.Search(r.Context(), t.ID, screening.Query{
			Name: req.Name, Type: screening.EntryType(req.Type), DateOfBirth: req.DateOfBirth, Country: req.Country, Identifiers: ids,
		})
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		matches := make([]matchDTO, 0, len(res.Matches))
		for _, m := range res.Matches {
			matches = append(matches, matchDTO{EntryID: m.EntryID, Source: m.Source, ListKind: m.ListKind, ListVersion: m.ListVersion,
				Name: m.Name, MatchedName: m.MatchedName, Type: string(m.Type), Score: m.Score, Status: string(m.Status), Explanation: m.Explanation,
				Sources: m.Sources})
		}
		lists := make([]listDTO, 0, len(res.ListsChecked))
		for _, l := range res.ListsChecked {
			lists = append(lists, listDTO{Source: l.Source, Kind: l.Kind, Version: l.Version, LoadedAt: l.LoadedAt.UTC().Format(time.RFC3339), Entries: l.Entries})
		}
		WriteData(w, http.StatusOK, map[string]any{"matches": matches, "listsChecked": lists})
	})
}
