package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	screeningv "github.com/ciamhq/ciam/views/screening"
)

// The screening hits queue, one hit with its decision, and screening a
// name by hand.

const hitsPerPage = 50

func hitRow(h screening.Hit) screeningv.HitRow {
	return screeningv.HitRow{ID: h.ID.String(), SubjectName: h.SubjectName, Source: h.Source, EntryID: h.EntryID, EntryName: h.EntryName,
		MatchedName: h.MatchedName, MatchStatus: string(h.MatchStatus), Status: string(h.Status), Score: h.Score, CreatedAt: h.CreatedAt}
}

func (s *server) handleScreeningHits() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		status := "OPEN"
		if q.Has("status") {
			status = strings.ToUpper(strings.TrimSpace(q.Get("status")))
		}
		offset, _ := strconv.Atoi(q.Get("offset"))
		offset = max(offset, 0)
		view := screeningv.Queue{Status: status, Source: strings.TrimSpace(q.Get("source")), MinScore: strings.TrimSpace(q.Get("minScore")),
			Loc: t.Location(), Now: s.Now()}
		f := screening.QueueFilter{Status: screening.HitStatus(status), Source: view.Source, Offset: offset, Limit: pageSize(q, hitsPerPage)}
		if view.MinScore != "" {
			if f.MinScore, err = strconv.ParseFloat(view.MinScore, 64); err != nil {
				f.MinScore = -1 // refused below with the other problems
			}
		}
		httpStatus := http.StatusOK
		page, err := s.Screening.HitQueue(r.Context(), emp.TenantID, f)
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
			errs := map[string]string{}
			fieldErrors(err, errs)
			view.Error = strings.TrimSpace(errs["minScore"] + " " + errs["status"])
			httpStatus = http.StatusUnprocessableEntity
			page, err = screening.QueuePage{}, nil
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, h := range page.Hits {
			view.Rows = append(view.Rows, hitRow(h))
		}
		view.Counts = map[string]int64{}
		for k, n := range page.Counts {
			view.Counts[string(k)] = n
		}
		view.Sources = page.Sources
		view.Pager = offsetPager(r.URL, page.Total, offset, len(page.Hits), f.Limit)
		view.Pager.Sizes = sizeLinks(r.URL, f.Limit, hitsPerPage)
		view.Pager.ExportURL = exportURL(r.URL, "/screening/hits/export.csv")
		view.Pager.FirstLabel, view.Pager.NextLabel = "First", "Next →"
		s.page(w, r, httpStatus, "Screening hits", "screening", screeningv.QueuePage(view))
	})
}

func explanationView(e screening.Explanation) screeningv.Explanation {
	out := screeningv.Explanation{MatchedName: e.MatchedName, NameKind: e.NameKind, UnpairedQuery: e.UnpairedQuery,
		UnpairedMatched: e.UnpairedMatched, Score: e.Score}
	for _, p := range e.Pairs {
		out.Pairs = append(out.Pairs, screeningv.Pair{Query: p.Query, Matched: p.Matched, JaroWinkler: p.JaroWinkler,
			Similarity: p.Similarity, Weight: p.Weight, Phonetic: p.Phonetic, Initial: p.Initial})
	}
	for _, f := range e.Factors {
		out.Factors = append(out.Factors, screeningv.Factor{Factor: f.Factor, Detail: f.Detail, Contribution: f.Contribution})
	}
	return out
}

func fieldChangesView(cs []screening.FieldChange) []screeningv.FieldChange {
	var out []screeningv.FieldChange
	for _, c := range cs {
		out = append(out, screeningv.FieldChange{Field: c.Field, Removed: c.Removed, Added: c.Added})
	}
	return out
}

func (s *server) hitPage(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, formErr, draft string) {
	emp, _ := employeeFrom(r.Context())
	d, err := s.Screening.HitDetail(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e := d.Entry
	view := screeningv.HitDetail{
		ID: d.ID.String(), Status: string(d.Status), MatchStatus: string(d.MatchStatus), Score: d.Score, CreatedAt: d.CreatedAt,
		DecidedBy: d.DecidedBy, DecidedAt: d.DecidedAt, Note: d.Note,
		Customer: screeningv.Customer{ID: d.SubjectID.String(), Name: d.SubjectName},
		Entry: screeningv.Entry{Source: d.Source, ListKind: d.ListKind, EntryID: d.EntryID, ListVersion: d.ListVersion, Name: e.Name,
			Type: string(e.Type), Aliases: e.Aliases, DatesOfBirth: e.DatesOfBirth, Countries: e.Countries, Programs: e.Programs, Remarks: e.Remarks},
		Explanation: explanationView(d.Explanation), Current: string(d.Current), CurrentVersion: d.CurrentVersion,
		CanDecide: emp.Can(staff.PermScreeningDo), Error: formErr, Draft: draft, Loc: t.Location(), Now: s.Now(),
	}
	for _, src := range d.Sources {
		if src.Source != d.Source || src.EntryID != d.EntryID {
			view.AlsoOn = append(view.AlsoOn, src.Source+" entry "+src.EntryID+": "+src.Name)
		}
	}
	if c, err := s.Customers.Get(r.Context(), emp.TenantID, d.SubjectID); err == nil {
		// The date of birth as the one rule shows it, as on the customer's
		// page: masked to whoever may not see it there, even if they decide.
		view.Customer = screeningv.Customer{ID: c.ID.String(), Name: c.FullName(), DateOfBirth: piiView(emp).Date(c.DateOfBirth),
			Nationality: c.Nationality, Country: c.Address.Country, Status: c.Status, Risk: c.RiskLevel, Found: true}
	} else if apperr.CodeOf(err) != apperr.NotFound {
		s.fail(w, r, err)
		return
	}
	for _, eh := range d.Earlier {
		view.Earlier = append(view.Earlier, screeningv.Earlier{Status: string(eh.Status), Note: eh.Note, DecidedBy: eh.DecidedBy,
			DecidedAt: eh.DecidedAt, CreatedAt: eh.CreatedAt, ListVersion: eh.ListVersion, Changes: fieldChangesView(eh.Changes)})
	}
	s.page(w, r, status, "Hit: "+view.Customer.Name, "screening", screeningv.HitPage(view))
}

func hitID(r *http.Request) (uuid.UUID, error) {
	return pathID(r, "id", "hit")
}

func (s *server) handleScreeningHitShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := hitID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.hitPage(w, r, http.StatusOK, id, "", "")
	})
}

func (s *server) handleScreeningHitDecide() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := hitID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		decision := screening.HitStatus(r.PostForm.Get("decision"))
		note := r.PostForm.Get("note")
		h, err := s.Screening.DecideHit(r.Context(), emp.TenantID, id, screening.Decision{Status: decision, Note: note})
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid && len(e.Fields) > 0 {
			s.hitPage(w, r, http.StatusUnprocessableEntity, id, e.Fields[0].Issue, note)
			return
		}
		switch {
		case err == nil && h.Status == screening.HitConfirmed:
			s.flash(w, r, "success", "Confirmed: "+h.SubjectName+" is "+h.EntryName+" ("+h.Source+").")
		case err == nil:
			s.flash(w, r, "success", "Dismissed: "+h.SubjectName+" is not "+h.EntryName+". It stays dismissed until the list changes the entry.")
		case apperr.CodeOf(err) == apperr.Conflict:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", e.Message)
		default:
			s.fail(w, r, err)
			return
		}
		s.seeOther(w, r, "/screening/hits/"+id.String())
	})
}

// handleScreeningSearch screens a name by hand: a GET, since it changes
// nothing.
func (s *server) handleScreeningSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		q := r.URL.Query()
		view := screeningv.Search{Values: map[string]string{}, Errors: map[string]string{}}
		for _, k := range []string{"name", "type", "dateOfBirth", "country"} {
			view.Values[k] = strings.TrimSpace(q.Get(k))
		}
		status := http.StatusOK
		if q.Has("name") {
			res, err := s.Screening.Search(r.Context(), emp.TenantID, screening.Query{Name: view.Values["name"],
				Type: screening.EntryType(view.Values["type"]), DateOfBirth: view.Values["dateOfBirth"], Country: view.Values["country"]})
			switch {
			case fieldErrors(err, view.Errors):
				status = http.StatusUnprocessableEntity
			case err != nil:
				s.fail(w, r, err)
				return
			default:
				view.Searched = true
				for _, m := range res.Matches {
					view.Matches = append(view.Matches, screeningv.Match{EntryID: m.EntryID, Source: m.Source, ListKind: m.ListKind,
						ListVersion: m.ListVersion, Name: m.Name, MatchedName: m.MatchedName, Type: string(m.Type), Status: string(m.Status),
						Score: m.Score, Explanation: explanationView(m.Explanation)})
				}
				for _, l := range res.ListsChecked {
					view.Lists = append(view.Lists, screeningv.ListChecked{Source: l.Source, Kind: l.Kind, Version: l.Version, Entries: l.Entries})
				}
			}
		}
		s.page(w, r, status, "Screen a name", "screening", screeningv.SearchPage(view))
	})
}
