package web

import (
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	screeningv "github.com/ciamhq/ciam/views/screening"
	"github.com/ciamhq/ciam/web/api"
)

// The lists with their versions and differences, and the platform
// operator's upload.

// maxListUpload bounds an upload: today's OFAC files together are under
// 10 MB, the UN list under 3 MB.
const maxListUpload = 64 << 20

func versionView(v screening.Version) screeningv.Version {
	return screeningv.Version{ID: v.ID.String(), Source: v.Source, Seq: v.Seq, Status: v.Status, LoadedAt: v.LoadedAt, LoadedBy: v.LoadedBy,
		FileName: v.FileName, Checksum: v.Checksum, Entries: v.Entries, Added: v.Added, Removed: v.Removed, Changed: v.Changed,
		Error: v.Error, First: v.PreviousVersionID == nil}
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
		view := screeningv.Lists{CanUpload: emp.Can(staff.PermListsManage), Loc: t.Location(), Now: s.Now()}
		for _, src := range sources {
			sv := screeningv.Source{ID: src.ID, Name: src.Name, Kind: src.Kind, Format: string(src.Format)}
			for _, v := range versions { // newest first
				if v.Source == src.ID {
					sv.Versions = append(sv.Versions, versionView(v))
				}
			}
			view.Sources = append(view.Sources, sv)
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
// for.
var ofacInputs = []struct{ input, file string }{{"sdn", "sdn.csv"}, {"alt", "alt.csv"}, {"add", "add.csv"}, {"comments", "sdn_comments.csv"}}

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
			form.Errors["format"] = "choose OFAC, UN or Senzing"
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
		if format == screening.FormatOFAC {
			for _, in := range ofacInputs {
				f, ok, err := read(in.input)
				if err != nil {
					s.fail(w, r, apperr.New(apperr.Malformed, "the file %s could not be read", in.file))
					return
				}
				if ok {
					f.Name = in.file // the loader knows OFAC's files by these names
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
