package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/labels"
	screeningv "github.com/ciamhq/ciam/views/screening"
	"github.com/ciamhq/ciam/web/api"
)

// The lists with their versions and differences, and the platform
// operator's upload.

// maxListUpload bounds an upload: today's OFAC files together are under
// 10 MB, the UN list under 3 MB.
const maxListUpload = 64 << 20

func versionView(v screening.Version) screeningv.Version {
	out := screeningv.Version{ID: v.ID.String(), Source: v.Source, Seq: v.Seq, Status: v.Status, LoadedAt: v.LoadedAt, LoadedBy: v.LoadedBy,
		FileName: v.FileName, Checksum: v.Checksum, Entries: v.Entries, Added: v.Added, Removed: v.Removed, Changed: v.Changed,
		Error: v.Error, First: v.PreviousVersionID == nil}
	if at, ok := screening.PublishedTime(v.Published); ok {
		out.PublishedAt = &at
	}
	return out
}

func uploadView(u screening.Upload) screeningv.Upload {
	out := screeningv.Upload{ID: u.ID.String(), Format: string(u.Format), Status: u.Status, Stage: u.Stage, Done: u.Done, Total: u.Total,
		Files: u.Files, SizeBytes: u.SizeBytes, Error: u.Error, CreatedBy: u.CreatedBy, CreatedAt: u.CreatedAt}
	if u.VersionID != nil {
		out.VersionID = u.VersionID.String()
	}
	return out
}

func (s *server) handleScreeningLists() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		sources, err := s.Screening.Sources(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		versions, err := s.Screening.Versions(r.Context(), "", 500)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		fetches, err := s.Screening.SourceFetches(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		settings, err := s.Screening.Settings(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := screeningv.Lists{CanUpload: emp.Can(staff.PermListsManage), Loc: t.Location(), Now: s.Now(), FetchOn: s.Screening.FetchEnabled}
		byID := map[string]*screening.SourceFetch{}
		for i := range fetches {
			byID[fetches[i].SourceID] = &fetches[i]
		}
		seen := map[string]bool{}
		add := func(src screening.Source) {
			seen[src.ID] = true
			sv := screeningv.Source{ID: src.ID, Name: src.Name, Kind: src.Kind, Format: string(src.Format)}
			for _, v := range versions { // newest first
				if v.Source == src.ID {
					sv.Versions = append(sv.Versions, versionView(v))
					if v.Status == "CURRENT" {
						sv.Published = v.Published
						sv.Fresh = freshness(v, view.Now, settings.MaxListAgeDays)
					}
				}
			}
			if f := byID[src.ID]; f != nil {
				sv.Fetch = fetchView(*f)
				switch {
				case f.Alert == screening.AlertFailing && view.FetchOn:
					view.Alerts = append(view.Alerts, f.Name+": the last fetch failed: "+f.LastError)
				case f.Alert == screening.AlertStale && view.FetchOn:
					view.Alerts = append(view.Alerts, f.Name+": no successful fetch for longer than "+f.StaleAfter.String())
				}
				if f.HeldAt != nil {
					view.Alerts = append(view.Alerts, fmt.Sprintf("%s: a new file with %d entries (in use: %d) waits for a person to load or discard it", f.Name, f.HeldEntries, f.HeldCurrent))
				}
			}
			view.Sources = append(view.Sources, sv)
		}
		for _, src := range sources {
			add(src)
		}
		// Sources set up for fetching but never loaded.
		for _, f := range fetches {
			if !seen[f.SourceID] {
				add(screening.Source{ID: f.SourceID, Name: f.Name, Kind: f.Kind, Format: f.Format})
			}
		}
		sort.SliceStable(view.Sources, func(i, j int) bool { return view.Sources[i].Kind > view.Sources[j].Kind }) // sanctions first
		if view.CanUpload {
			ups, err := s.Screening.Uploads(r.Context(), 10)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, u := range ups {
				view.Uploads = append(view.Uploads, uploadView(u))
			}
		}
		s.page(w, r, http.StatusOK, "Screening lists", "lists", screeningv.ListsPage(view))
	})
}

// fetchView shows a source's fetch settings and last fetch. The address
// is shown without its query, which may carry a token.
func fetchView(f screening.SourceFetch) *screeningv.Fetch {
	u, _ := maskedURL(f.URL)
	schedule := "every " + labels.Duration(f.Interval)
	if !f.Enabled {
		schedule = "not scheduled"
	}
	return &screeningv.Fetch{URL: u, Schedule: schedule, LastResult: f.LastResult, LastError: f.LastError, Alert: f.Alert,
		Enabled: f.Enabled, LastAttemptAt: f.LastAttemptAt, LastSuccessAt: f.LastSuccessAt,
		Held: f.HeldAt != nil, HeldEntries: f.HeldEntries, HeldCurrent: f.HeldCurrent}
}

// handleScreeningFetchNow queues a fetch of a source from its publisher.
func (s *server) handleScreeningFetchNow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := s.Screening.RequestFetch(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Fetching "+id+" from its publisher: the result shows here once it is done.")
		http.Redirect(w, r, "/screening/lists", http.StatusSeeOther)
	})
}

// handleScreeningHeld loads a held file anyway, or discards it.
func (s *server) handleScreeningHeld() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var load bool
		switch r.PostFormValue("decision") {
		case "load":
			load = true
		case "discard":
		default:
			s.fail(w, r, apperr.Validation(apperr.FieldError{Field: "decision", Issue: "choose load or discard"}))
			return
		}
		up, err := s.Screening.DecideHeld(r.Context(), id, load)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if up != nil {
			http.Redirect(w, r, "/screening/lists/uploads/"+up.ID.String(), http.StatusSeeOther)
			return
		}
		s.flash(w, r, "success", "The held file of "+id+" is discarded.")
		http.Redirect(w, r, "/screening/lists", http.StatusSeeOther)
	})
}

const changesPerPage = 50

func entrySummary(e *screening.Entry) []string {
	if e == nil {
		return nil
	}
	var out []string
	switch n := len(e.Aliases); {
	case n == 1:
		out = append(out, "1 alias")
	case n > 1:
		out = append(out, strconv.Itoa(n)+" aliases")
	}
	if len(e.DatesOfBirth) > 0 {
		out = append(out, "born "+strings.Join(e.DatesOfBirth, ", "))
	}
	if len(e.Countries) > 0 {
		out = append(out, strings.Join(e.Countries, ", "))
	}
	if len(e.Programs) > 0 {
		out = append(out, strings.Join(e.Programs, ", "))
	}
	return out
}

func (s *server) handleScreeningVersion() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "list version")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		change := strings.ToUpper(strings.TrimSpace(q.Get("change")))
		offset, _ := strconv.Atoi(q.Get("offset"))
		offset = max(offset, 0)
		d, err := s.Screening.VersionDiff(r.Context(), id, change, offset, changesPerPage)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := screeningv.Diff{Version: versionView(d.Version), Change: change, Loc: t.Location(), Now: s.Now()}
		if d.Previous != nil {
			pv := versionView(*d.Previous)
			view.Previous = &pv
		}
		for _, c := range d.Changes {
			it := screeningv.DiffItem{Change: c.Change, EntryID: c.EntryID, Name: c.Name(), Fields: fieldChangesView(c.Fields)}
			switch {
			case c.After != nil:
				it.Type, it.Summary = string(c.After.Type), entrySummary(c.After)
			case c.Before != nil:
				it.Type, it.Summary = string(c.Before.Type), entrySummary(c.Before)
			}
			view.Items = append(view.Items, it)
		}
		view.Pager = offsetPager(r.URL, d.Total, offset, len(d.Changes), changesPerPage)
		view.Pager.FirstLabel, view.Pager.NextLabel = "First", "Next →"
		s.page(w, r, http.StatusOK, d.Version.Source+" version "+strconv.Itoa(d.Version.Seq), "lists", screeningv.DiffPage(view))
	})
}

func (s *server) handleScreeningUploadForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.page(w, r, http.StatusOK, "Upload a list", "lists", screeningv.UploadPage(screeningv.UploadForm{Errors: map[string]string{}}))
	})
}

// ofacInputs maps the upload form's file inputs to the file each stands
// for, in the SDN list and in the Consolidated list (the same CSV layout
// under other names).
var ofacInputs = []struct{ input, file, cons string }{
	{"sdn", "sdn.csv", "cons_prim.csv"}, {"alt", "alt.csv", "cons_alt.csv"}, {"add", "add.csv", "cons_add.csv"},
	{"comments", "sdn_comments.csv", "cons_comments.csv"},
}

func (s *server) handleScreeningUpload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxListUpload)
		form := screeningv.UploadForm{Errors: map[string]string{}}
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.fail(w, r, apperr.New(apperr.TooLarge, "an upload may have at most %d MB", maxListUpload>>20))
				return
			}
			s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
			return
		}
		defer r.MultipartForm.RemoveAll()
		if err := api.CheckMultipart(r.MultipartForm); err != nil {
			s.fail(w, r, err)
			return
		}
		form.Format = r.FormValue("format")
		form.AllowShrink = r.FormValue("allowShrink") == "on"
		format, err := screening.ParseFormat(form.Format)
		if err != nil {
			form.Errors["format"] = "choose one of the list formats"
			s.page(w, r, http.StatusUnprocessableEntity, "Upload a list", "lists", screeningv.UploadPage(form))
			return
		}
		read := func(input string) (screening.UploadFile, bool, error) {
			f, hdr, err := r.FormFile(input)
			if errors.Is(err, http.ErrMissingFile) {
				return screening.UploadFile{}, false, nil
			}
			if err != nil {
				return screening.UploadFile{}, false, err
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			return screening.UploadFile{Name: hdr.Filename, Content: b}, true, err
		}
		var files []screening.UploadFile
		if format == screening.FormatOFAC || format == screening.FormatOFACCons {
			for _, in := range ofacInputs {
				name := in.file
				if format == screening.FormatOFACCons {
					name = in.cons
				}
				f, ok, err := read(in.input)
				if err != nil {
					s.fail(w, r, apperr.New(apperr.Malformed, "the file %s could not be read", name))
					return
				}
				if ok {
					f.Name = name // the loader knows OFAC's files by these names
					files = append(files, f)
				}
			}
		} else {
			f, ok, err := read("file")
			if err != nil {
				s.fail(w, r, apperr.New(apperr.Malformed, "the file could not be read"))
				return
			}
			if ok {
				files = append(files, f)
			}
		}
		up, err := s.Screening.StartUpload(r.Context(), format, files, form.AllowShrink)
		if fieldErrors(err, form.Errors) {
			s.page(w, r, http.StatusUnprocessableEntity, "Upload a list", "lists", screeningv.UploadPage(form))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.seeOther(w, r, "/screening/lists/uploads/"+up.ID.String())
	})
}

// handleScreeningUploadShow shows an upload's progress; htmx asks for the
// status fragment alone every second until the load is over.
func (s *server) handleScreeningUploadShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id", "upload")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		up, err := s.Screening.GetUpload(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if isHTMX(r) {
			s.render(w, r, http.StatusOK, screeningv.UploadStatus(uploadView(up)))
			return
		}
		s.page(w, r, http.StatusOK, "Loading a list", "lists", screeningv.UploadPageProgress(uploadView(up)))
	})
}

// freshness is how old the version in use is: from the publisher's date
// where the file gives one, else from its load; stale past maxDays.
func freshness(v screening.Version, now time.Time, maxDays int) *screeningv.Freshness {
	f := &screeningv.Freshness{Since: v.LoadedAt, MaxDays: maxDays}
	if at, ok := screening.PublishedTime(v.Published); ok {
		f.Published, f.Since = true, at
	}
	age := now.Sub(f.Since)
	switch days := int(age.Hours() / 24); {
	case age < time.Hour:
		f.Age = "less than an hour old"
	case days < 1:
		f.Age = countOf(int(age.Hours()), "hour") + " old"
	default:
		f.Age = countOf(days, "day") + " old"
	}
	f.Stale = age > time.Duration(maxDays)*24*time.Hour
	return f
}

// countOf is n things in words: "1 day", "3 days".
func countOf(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
