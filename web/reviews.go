package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/components"
	"github.com/ciamhq/ciam/views/reviews"
)

// reviewPageSize is how many verifications a queue page shows.
const reviewPageSize = 50

// ageBadge says how long a verification has waited against the SLA, in
// words and colour.
func ageBadge(queued, now time.Time) reviews.Age {
	d := now.Sub(queued)
	var n string
	switch {
	case d < time.Minute:
		n = "just now"
	case d < time.Hour:
		n = fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		n = fmt.Sprintf("%d h", int(d.Hours()))
	default:
		n = fmt.Sprintf("%d d", int(d.Hours()/24))
	}
	switch kyc.AgeBucket(queued, now) {
	case kyc.AgeFresh:
		return reviews.Age{Text: n + " · on time", Tone: "green"}
	case kyc.AgeAging:
		return reviews.Age{Text: n + " · ageing", Tone: "amber"}
	default:
		return reviews.Age{Text: n + " · over SLA", Tone: "red"}
	}
}

func hours(d time.Duration) string { return strconv.Itoa(int(d.Hours())) + " h" }

func (s *server) handleReviewList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		offset, _ := strconv.Atoi(q.Get("offset"))
		offset = max(offset, 0)
		f := reviewQueueFilter(q, emp.ID)
		f.Limit, f.Offset = pageSize(q, reviewPageSize), offset
		view := reviews.List{Filter: reviews.Filter{Risk: f.Risk, Reason: f.Reason, Age: f.Age, Assignee: f.Assignee},
			SLA: hours(kyc.ReviewSLA), CanAssign: emp.Can(staff.PermReviewsDecide), Here: r.URL.RequestURI(),
			Errors: map[string]string{}, Loc: t.Location(), Now: s.Now()}
		status := http.StatusOK
		page, err := s.KYC.Queue(r.Context(), emp.TenantID, f)
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
			// Show the whole queue, and say which filter was not understood.
			status = http.StatusUnprocessableEntity
			for _, fe := range e.Fields {
				view.Errors[fe.Field] = fe.Issue
			}
			page, err = s.KYC.Queue(r.Context(), emp.TenantID, kyc.QueueFilter{Me: emp.ID, Limit: f.Limit})
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c := page.Counts
		view.Waiting, view.Overdue = c.Total, c.Overdue
		view.Risks = []reviews.Option{{Label: "Any risk"}, {Value: "HIGH", Label: "HIGH", Count: c.High},
			{Value: "MEDIUM", Label: "MEDIUM", Count: c.Medium}, {Value: "LOW", Label: "LOW", Count: c.Low}}
		view.Reasons = []reviews.Option{{Label: "Any reason"}}
		for _, rc := range c.Reasons {
			view.Reasons = append(view.Reasons, reviews.Option{Value: rc.Reason, Label: rc.Reason, Count: rc.N})
		}
		if f.Reason != "" && !slices.ContainsFunc(c.Reasons, func(rc kyc.ReasonCount) bool { return rc.Reason == f.Reason }) && view.Errors["reason"] == "" {
			view.Reasons = append(view.Reasons, reviews.Option{Value: f.Reason, Label: f.Reason})
		}
		view.Ages = []reviews.Option{{Label: "Any time"}, {Value: kyc.AgeFresh, Label: "Under " + hours(kyc.ReviewFresh), Count: c.Fresh},
			{Value: kyc.AgeAging, Label: hours(kyc.ReviewFresh) + " to " + hours(kyc.ReviewSLA), Count: c.Aging},
			{Value: kyc.AgeOverdue, Label: "Over the SLA", Count: c.Overdue}}
		seen := piiView(emp)
		view.Assignees = []reviews.Option{{Label: "Anyone"}, {Value: kyc.AssigneeMe, Label: "Me", Count: c.Mine},
			{Value: kyc.AssigneeUnassigned, Label: "Unassigned", Count: c.Unassigned}}
		for _, it := range page.Items {
			row := reviews.Row{ID: it.VerificationID.String(), CustomerID: it.CustomerID.String(), CustomerName: it.CustomerName,
				Email: seen.Show(pii.Email, it.Email), Nationality: it.Nationality, Risk: it.RiskLevel, Reasons: it.Reasons, QueuedAt: it.QueuedAt,
				Age: ageBadge(it.QueuedAt, view.Now), Assignee: it.AssigneeName, Mine: it.AssigneeID != nil && *it.AssigneeID == emp.ID}
			view.Rows = append(view.Rows, row)
		}
		view.Pager = offsetPager(r.URL, page.Matching, offset, len(page.Items), f.Limit)
		view.Pager.Sizes = sizeLinks(r.URL, f.Limit, reviewPageSize)
		view.Pager.ExportURL = exportURL(r.URL, "/reviews/export.csv")
		s.page(w, r, status, "Reviews", "reviews", reviews.ListPage(view))
	})
}

func reviewID(r *http.Request) (uuid.UUID, error) {
	return pathID(r, "id", "verification request")
}

// localReviewURL is next when it is a path of the review pages, else
// fallback: a redirect never leaves the portal.
func localReviewURL(next, fallback string) string {
	if strings.HasPrefix(next, "/reviews") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return fallback
}

func (s *server) handleReviewAssign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := reviewID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		next := localReviewURL(r.PostForm.Get("next"), "/reviews/"+id.String())
		if _, err := s.KYC.Assign(r.Context(), emp.TenantID, id); err != nil {
			e, ok := apperr.As(err)
			if !ok || (e.Code != apperr.Conflict && e.Code != apperr.Forbidden) {
				s.fail(w, r, err)
				return
			}
			s.flash(w, r, "error", e.Message)
		} else {
			s.flash(w, r, "success", "The review is assigned to you.")
		}
		s.seeOther(w, r, next)
	})
}

func (s *server) handleReviewShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := reviewID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.reviewPage(w, r, http.StatusOK, id, emptyReviewForm(), "")
	})
}

const formCheckRows = 3

func emptyReviewForm() reviews.Form {
	return reviews.Form{Checks: make([]reviews.CheckRow, formCheckRows), Errors: map[string]string{}}
}

// reviewPage renders verification id with the decision form's values and
// errors, and problem (an error that belongs to no field) on top.
func (s *server) reviewPage(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, form reviews.Form, problem string) {
	emp, _ := employeeFrom(r.Context())
	ctx := r.Context()
	t, err := s.Tenants.Get(ctx, emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.KYC.Get(ctx, emp.TenantID, id, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cd, err := s.Customers.GetDetail(ctx, emp.TenantID, v.CustomerID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	assignee, err := s.KYC.AssigneeName(ctx, emp.TenantID, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Now()
	c := cd.Customer
	// The page shows the customer's values as the one rule lets emp see
	// them, the same as the customer's page: a reviewer who may decide a
	// HIGH risk compares them in full; an analyst sees them masked.
	seen := piiView(emp)
	d := reviews.Detail{ID: v.ID.String(), Status: v.Status, Risk: v.RiskLevel, Reasons: v.ReasonsForReview, Version: v.Version,
		QueuedAt: v.ReviewQueuedAt, Assignee: assignee, Mine: v.AssigneeID != nil && *v.AssigneeID == emp.ID,
		Customer: personOf(c, now, seen), CanAssign: emp.Can(staff.PermReviewsDecide), CanDecide: emp.Can(staff.PermReviewsDecide),
		Form: form, Problem: problem, Loc: t.Location(), Now: now}
	d.NeedsSenior = d.CanDecide && v.RiskLevel == "HIGH" && !emp.Can(staff.PermReviewsHigh)
	if v.ReviewQueuedAt != nil {
		d.Age = ageBadge(*v.ReviewQueuedAt, now)
	}
	for _, wl := range cd.Wallets {
		if wl.Status == "ACTIVE" {
			d.Customer.WalletIBAN, d.Customer.WalletCurrency, d.Customer.WalletStatus = seen.Show(pii.Account, wl.IBAN), wl.Currency, wl.Status
			break
		}
	}
	mask := newDocMask(seen, c, cd.Wallets...)
	mask.learnChecks(v.Checks)
	evs := map[uuid.UUID]*evidence.Evidence{}
	for _, doc := range v.Documents {
		ev, err := s.KYC.DocumentEvidence(ctx, emp.TenantID, doc.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		evs[doc.ID] = ev
		mask.learn(doc, ev)
	}
	d.Comparison = comparison(c, v, seen, mask)
	d.Findings = map[string][]reviews.Finding{}
	names := docNames(v.Documents)
	for _, chk := range sortedChecks(v.Checks) {
		cv := mask.check(checkView(chk, names))
		if f := findings(chk, c); len(f) > 0 {
			for i := range f {
				f[i].Text = mask.text(f[i].Text)
			}
			d.Findings[chk.Kind] = f
		}
		if chk.Kind == kyc.CheckSanctions || chk.Kind == kyc.CheckPEP {
			d.Screening = append(d.Screening, cv)
		} else {
			d.Checks = append(d.Checks, cv)
		}
	}
	if s.Screening != nil && s.mayOpen(emp, "GET /screening/hits/{id}") {
		hits, err := s.Screening.ListHits(ctx, emp.TenantID, screening.HitFilter{SubjectID: &c.ID, Limit: 20})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.ShowHits = true
		for _, h := range hits {
			d.Hits = append(d.Hits, reviews.Hit{EntryName: h.EntryName, Source: h.Source, Score: fmt.Sprintf("%.0f%%", h.Score*100),
				Status: string(h.Status), Href: "/screening/hits/" + h.ID.String()})
		}
	}
	canView := emp.Can(staff.PermDocumentsView)
	faces := facesOf(v.Checks)
	for _, doc := range v.Documents {
		ev := evs[doc.ID]
		rd := reviews.Doc{ID: doc.ID.String(), Label: docLabel(doc), FileName: doc.FileName, Facts: docFacts(doc),
			Status: doc.Status, Uploaded: doc.CreatedAt, Details: mask.kvs(docMetadata(doc)), CanView: canView,
			IsImage: strings.HasPrefix(doc.MIME, "image/"), Read: ev != nil}
		rd.Figure = figureOf(doc, ev, faces.on(doc.ID.String()), rd.Label+" of "+c.FullName())
		if !rd.IsImage && ev != nil && len(ev.Pages) > 0 {
			rd.Snippet = snippet(mask.text(ev.Pages[0].Text), 8)
		}
		d.Documents = append(d.Documents, rd)
	}
	d.Faces = facePair(faces, d.Documents)
	if v.Decision != "" {
		last := &reviews.Decided{Decision: v.Decision, By: v.DecidedByName, Notes: mask.text(v.ReviewerNotes)}
		if v.CompletedAt != nil {
			last.At = v.CompletedAt.In(t.Location()).Format("2006-01-02 15:04 MST")
		}
		for _, ac := range kyc.ParseAdditionalChecks(v.AdditionalChecks) {
			last.AdditionalChecks = append(last.AdditionalChecks, components.KV{Key: ac.Type, Value: ac.Result + " (" + ac.PerformedAt.In(t.Location()).Format("2006-01-02 15:04") + ")"})
		}
		if rm := kyc.ParseRiskMitigation(v.RiskMitigation); rm != nil {
			last.RiskMitigation = riskMitigationFacts(rm)
		}
		d.Last = last
	}
	if v.Status == kyc.StatusApproved && (c.Status == customer.StatusActive || (c.Status == customer.StatusPendingVerification && d.CanDecide)) {
		d.Activation = reviews.Activation{Show: true, CustomerActive: c.Status == customer.StatusActive, Limits: "with no limits from the review"}
		if rm := kyc.ParseRiskMitigation(v.RiskMitigation); rm != nil && (rm.TransactionLimits.DailyLimit != nil || rm.TransactionLimits.RequiresApprovalAbove != nil) {
			d.Activation.Limits = "with the review's limits"
		}
	}
	s.page(w, r, status, "Review: "+c.FullName(), "reviews", reviews.DetailPage(d))
}

func riskMitigationFacts(rm *kyc.RiskMitigation) []components.KV {
	yes := "no"
	if rm.EnhancedMonitoring {
		yes = "yes"
	}
	return []components.KV{{Key: "Enhanced monitoring", Value: yes},
		{Key: "Daily limit", Value: limitText(rm.TransactionLimits.DailyLimit)},
		{Key: "Approval above", Value: limitText(rm.TransactionLimits.RequiresApprovalAbove)}}
}

func limitText(d *decimal.Decimal) string {
	if d == nil {
		return "—"
	}
	return d.StringFixed(2)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func formatAddress(a customer.Address) string {
	var parts []string
	if line := strings.TrimSpace(a.StreetNumber + " " + a.Street); line != "" {
		if a.Apartment != "" {
			line = a.Apartment + ", " + line
		}
		parts = append(parts, line)
	}
	if city := strings.TrimSpace(a.City + " " + a.PostalCode); city != "" {
		parts = append(parts, city)
	}
	if a.State != "" {
		parts = append(parts, a.State)
	}
	if a.Country != "" {
		parts = append(parts, a.Country)
	}
	return orDash(strings.Join(parts, ", "))
}

// personOf is c as seen shows it.
func personOf(c customer.Customer, now time.Time, seen pii.View) reviews.Person {
	p := reviews.Person{ID: c.ID.String(), Name: c.FullName(), DateOfBirth: seen.Date(c.DateOfBirth),
		Age: strconv.Itoa(customer.Age(c.DateOfBirth, now)) + " years", PlaceOfBirth: orDash(c.PlaceOfBirth),
		Nationality: orDash(customer.CountryName(c.Nationality) + " (" + c.Nationality + ")"), Email: seen.Show(pii.Email, c.Email), Phone: orDash(seen.Show(pii.Phone, c.PhoneNumber)),
		Address: seen.AddressOf(formatAddress(c.Address), c.Address.Country), Occupation: orDash(c.Occupation), Employer: orDash(c.EmployerName),
		AnnualIncome: seen.Show(pii.Income, limitText(c.AnnualIncome)), SourceOfFunds: orDash(c.SourceOfFunds), Status: c.Status, Permission: c.Permission,
		Risk: c.RiskLevel, RiskReasons: c.RiskReasons, RegisteredAt: c.CreatedAt, CategoryName: "—"}
	var cat struct{ Name string }
	if json.Unmarshal(c.Categorization, &cat) == nil && cat.Name != "" {
		p.CategoryName = cat.Name
	}
	return p
}

// comparison sets registration data beside what the latest identity
// document and proof of address show, with the checks' verdicts. What
// the server read comes first; what the upload declared is shown, marked
// as such, only where nothing was read.
func comparison(c customer.Customer, v kyc.Verification, seen pii.View, mask *docMask) []reviews.Compare {
	latest := map[string]kyc.DocumentInfo{}
	for _, d := range v.Documents { // oldest first: the latest of each type wins
		latest[d.Type] = d
	}
	identity, hasID := latest["IDENTITY_DOCUMENT"]
	poa, hasPOA := latest["PROOF_OF_ADDRESS"]
	idCheck, _ := v.Check(kyc.CheckIdentity)
	failures := map[string]bool{}
	if fs, ok := idCheck.Evidence["failures"].([]any); ok {
		for _, f := range fs {
			failures[fmt.Sprint(f)] = true
		}
	}
	verdict := func(compared bool, failure string) string {
		switch {
		case !compared || idCheck.Kind == "":
			return ""
		case failures[failure]:
			return "mismatch"
		default:
			return "match"
		}
	}
	idLabel := ""
	if hasID {
		idLabel = docLabel(identity)
	}
	md := identity.Metadata
	read, _ := idCheck.Evidence["read"].(map[string]any)
	// pick is what the document showed, else what was declared.
	pick := func(readValue, declared string) (string, string) {
		switch {
		case readValue != "":
			return readValue, idLabel + ", as read"
		case declared != "":
			return declared, idLabel + ", as declared (not read)"
		}
		return "—", idLabel
	}
	declaredName := extracted(md.ExtractedData, "fullName")
	if declaredName == "" {
		declaredName = strings.TrimSpace(extracted(md.ExtractedData, "firstName") + " " + extracted(md.ExtractedData, "lastName"))
	}
	readName, _ := idCheck.Evidence["nameOnDocument"].(string)
	name, nameSrc := pick(readName, declaredName)
	dob, dobSrc := pick(extracted(read, "dateOfBirth"), extracted(md.ExtractedData, "dateOfBirth"))
	nat, natSrc := pick(extracted(read, "nationality"), md.IssuingCountry)
	num, numSrc := pick(extracted(read, "documentNumber"), md.DocumentNumber)
	exp, expSrc := pick(extracted(read, "expiryDate"), md.ExpiryDate)
	rows := []reviews.Compare{
		{Field: "Name", Registered: c.FullName(), Document: name, Source: nameSrc, Verdict: verdict(hasID && name != "—", "NAME_MISMATCH")},
		{Field: "Date of birth", Registered: seen.Date(c.DateOfBirth), Document: mask.text(dob), Source: dobSrc, Verdict: verdict(hasID && dob != "—", "DATE_OF_BIRTH_MISMATCH")},
		{Field: "Nationality / issuing country", Registered: c.Nationality, Document: nat, Source: natSrc},
		{Field: "Document number", Registered: "—", Document: mask.text(num), Source: numSrc},
		{Field: "Document expiry", Registered: "—", Document: exp, Source: expSrc, Verdict: verdict(hasID && exp != "—", "EXPIRED")},
	}
	addr := reviews.Compare{Field: "Address", Registered: seen.AddressOf(formatAddress(c.Address), c.Address.Country), Document: "—"}
	if hasPOA {
		addr.Source = docLabel(poa)
		ac, checked := v.Check(kyc.CheckAddress)
		if lines := words(ac.Evidence["addressOnDocument"]); len(lines) > 0 {
			addr.Document = strings.Join(lines, ", ")
			addr.Source += ", as read"
			if d, ok := ac.Evidence["issueDateOnDocument"].(string); ok && d != "" {
				addr.Source += ", issued " + d
			}
		} else {
			text := strings.TrimSpace(poa.Metadata.Address.String() + " " + extracted(poa.Metadata.ExtractedData, "address"))
			addr.Document = orDash(text)
			addr.Source += ", as declared (not read)"
			if poa.Metadata.IssueDate != "" {
				addr.Source += ", issued " + poa.Metadata.IssueDate
			}
		}
		if checked {
			addr.Verdict = "mismatch"
			if ac.Evidence["verified"] == true {
				addr.Verdict = "match"
			}
		}
	}
	addr.Document = mask.text(addr.Document)
	return append(rows, addr)
}

// words are a stored list of strings.
func words(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, it := range list {
		if s, ok := it.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// Tones of a finding.
const (
	good = "good"
	bad  = "bad"
)

// findings are a check's evidence in sentences a reviewer reads at a
// glance: what the document showed against what was registered, with
// the scores. The evidence as stored stays under them.
func findings(chk kyc.StoredCheck, c customer.Customer) []reviews.Finding {
	e := chk.Evidence
	failed := map[string]bool{}
	for _, f := range words(e["failures"]) {
		failed[f] = true
	}
	tone := func(fails ...string) string {
		for _, f := range fails {
			if failed[f] {
				return bad
			}
		}
		return good
	}
	var out []reviews.Finding
	add := func(t, text string) { out = append(out, reviews.Finding{Tone: t, Text: text}) }
	switch chk.Kind {
	case kyc.CheckIdentity:
		switch e["source"] {
		case "MRZ":
			add("", "Read from the machine-readable zone")
		case "VISUAL_ZONE":
			add("", "Read from the printed fields (no machine-readable zone)")
		}
		if m, ok := e["mrz"].(map[string]any); ok {
			checks, _ := m["checks"].([]any)
			agree := 0
			for _, ch := range checks {
				if cm, ok := ch.(map[string]any); ok && cm["valid"] == true {
					agree++
				}
			}
			t := good
			if agree != len(checks) {
				t = bad
			}
			add(t, fmt.Sprintf("MRZ check digits: %d of %d agree", agree, len(checks)))
		}
		if n, ok := e["nameOnDocument"].(string); ok {
			text := "Name on document: " + n + " — registered: " + c.FullName()
			if sc, ok := e["matchScore"].(float64); ok {
				text += fmt.Sprintf(" — match %.0f of 100", sc*100)
			}
			add(tone("NAME_MISMATCH"), text)
		}
		read, _ := e["read"].(map[string]any)
		if dob := extracted(read, "dateOfBirth"); dob != "" {
			add(tone("DATE_OF_BIRTH_MISMATCH"), "Date of birth on document: "+dob+" — registered: "+c.DateOfBirth.Format(time.DateOnly))
		}
		if x := extracted(read, "expiryDate"); x != "" {
			add(tone("EXPIRED", "DECLARED_EXPIRED"), "Expires on "+x+" (by the document)")
		}
		if vz := words(e["visualZoneDisagrees"]); len(vz) > 0 {
			add(bad, "The printed page does not show the MRZ's "+strings.Join(vz, ", "))
		}
		out = append(out, qualityFinding(e["quality"])...)
		out = append(out, signalFindings(e["signals"])...)
	case kyc.CheckAddress:
		if n, ok := e["holderOnDocument"].(string); ok && n != "" {
			add(tone("NAME_MISMATCH"), "Holder on document: "+n+" — registered: "+c.FullName())
		}
		if lines := words(e["addressOnDocument"]); len(lines) > 0 {
			text := "Address on document: " + strings.Join(lines, ", ") + " — registered: " + formatAddress(c.Address)
			if m, ok := e["addressMatch"].(map[string]any); ok {
				if sc, ok := m["score"].(float64); ok {
					text += fmt.Sprintf(" — match %.0f of 100", sc*100)
				}
				if miss := words(m["missing"]); len(miss) > 0 {
					text += " (not found: " + strings.Join(miss, ", ") + ")"
				}
			}
			add(tone("ADDRESS_MISMATCH"), text)
		}
		if d, ok := e["issueDateOnDocument"].(string); ok && d != "" {
			text := "Issued on " + d + ", by the date printed"
			if n, ok := e["maxAgeDays"].(float64); ok && n > 0 {
				text += fmt.Sprintf(" (at most %.0f days old)", n)
			}
			add(tone("TOO_OLD", "DECLARED_ISSUE_DATE_TOO_OLD"), text)
		}
	case kyc.CheckSelfie:
		f := facesOf([]kyc.StoredCheck{chk})
		if f != nil {
			cmp := f.cmp
			add("", fmt.Sprintf("Faces found: %d on the selfie, %d on the ID photo", len(cmp.SelfieFaces), len(cmp.IDPhotoFaces)))
			if cmp.Compared {
				t := bad
				if cmp.Match {
					t = good
				}
				add(t, fmt.Sprintf("Face similarity %.0f of 100 (same person above 50)", cmp.Similarity))
				add("", fmt.Sprintf("Descriptor distance %.3f, the same person below %.2f", cmp.Distance, cmp.Threshold))
			}
		}
		if l, ok := e["livenessReason"].(string); ok {
			add("", "Liveness not claimed: "+l)
		}
	}
	if r, ok := e["reason"].(string); ok && r != "" && (chk.Kind == kyc.CheckIdentity || chk.Kind == kyc.CheckAddress || chk.Kind == kyc.CheckSelfie) {
		add("", "Note: "+r)
	}
	if _, ok := e["failures"]; ok && (chk.Kind == kyc.CheckIdentity || chk.Kind == kyc.CheckAddress || chk.Kind == kyc.CheckSelfie) {
		fs := words(e["failures"])
		if len(fs) == 0 {
			add(good, "No failure")
		} else {
			for i, f := range fs {
				fs[i] = humanise(f)
			}
			add(bad, "Failures: "+strings.Join(fs, ", "))
		}
	}
	return out
}

// qualityFinding says whether the image's quality figures passed.
func qualityFinding(v any) []reviews.Finding {
	q, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if fs := words(q["failed"]); len(fs) > 0 {
		for i, f := range fs {
			fs[i] = strings.ToLower(humanise(f))
		}
		return []reviews.Finding{{Tone: bad, Text: "Image quality fails on " + strings.Join(fs, ", ")}}
	}
	return []reviews.Finding{{Tone: good, Text: "Image quality: every figure within its threshold"}}
}

// signalFindings are the reading's signals in words.
func signalFindings(v any) []reviews.Finding {
	list, _ := v.([]any)
	var out []reviews.Finding
	for _, it := range list {
		sg, _ := it.(map[string]any)
		code, _ := sg["code"].(string)
		w := signalWords[code]
		if w == "" {
			w = humanise(code)
		}
		if d, _ := sg["detail"].(string); d != "" {
			w += " (" + d + ")"
		}
		out = append(out, reviews.Finding{Tone: bad, Text: "Signal: " + w})
	}
	return out
}

// snippet is the first n non-blank lines of text, for a PDF's thumbnail.
func snippet(text string, n int) string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
			if len(lines) == n {
				break
			}
		}
	}
	return strings.Join(lines, "\n")
}

// facePair sets the selfie beside the ID photo it was compared with.
func facePair(f *selfieFaces, docs []reviews.Doc) *reviews.FacePair {
	if f == nil {
		return nil
	}
	p := &reviews.FacePair{Compared: f.cmp.Compared, Match: f.cmp.Match, Reason: f.cmp.Reason}
	if f.cmp.Compared {
		p.Similarity = fmt.Sprintf("%.0f of 100", f.cmp.Similarity)
	}
	for _, d := range docs {
		switch d.ID {
		case f.selfie:
			p.Selfie = d
		case f.identity:
			p.IDPhoto = d
		}
	}
	if p.Selfie.ID == "" || p.IDPhoto.ID == "" {
		return nil
	}
	return p
}

func extracted(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return strings.TrimSpace(s)
}

var checkLabels = map[string]string{
	kyc.CheckIdentity: "Identity document", kyc.CheckAddress: "Proof of address", kyc.CheckAge: "Age",
	kyc.CheckSanctions: "Sanctions screening", kyc.CheckPEP: "PEP screening", kyc.CheckSelfie: "Selfie",
	kyc.CheckRequirements: "Required documents",
}

func checkTone(status string) string {
	switch status {
	case kyc.Passed:
		return "green"
	case kyc.Failed, kyc.Match:
		return "red"
	case kyc.PossibleMatch:
		return "amber"
	default:
		return "gray"
	}
}

// checkOrder is the order a reviewer reads checks in: who, where, how
// old, what else.
var checkOrder = []string{kyc.CheckIdentity, kyc.CheckAddress, kyc.CheckAge, kyc.CheckSelfie, kyc.CheckRequirements, kyc.CheckSanctions, kyc.CheckPEP}

func sortedChecks(cs []kyc.StoredCheck) []kyc.StoredCheck {
	out := slices.Clone(cs)
	rank := func(k string) int {
		if i := slices.Index(checkOrder, k); i >= 0 {
			return i
		}
		return len(checkOrder)
	}
	slices.SortStableFunc(out, func(a, b kyc.StoredCheck) int { return rank(a.Kind) - rank(b.Kind) })
	return out
}

// docNames names each document by its id, for evidence that points at one.
func docNames(docs []kyc.DocumentInfo) map[string]string {
	out := map[string]string{}
	for _, d := range docs {
		name := docLabel(d)
		if d.FileName != "" {
			name += " (" + d.FileName + ")"
		}
		out[d.ID.String()] = name
	}
	return out
}

// checkView turns a stored check into something a reviewer reads; names
// replaces document ids in the evidence.
func checkView(c kyc.StoredCheck, names map[string]string) components.Check {
	label := checkLabels[c.Kind]
	if label == "" {
		label = humanise(c.Kind)
	}
	cv := components.Check{Kind: c.Kind, Label: label, Status: c.Status, Tone: checkTone(c.Status)}
	if c.Score != nil {
		cv.Score = strconv.FormatFloat(*c.Score, 'f', 2, 64)
	}
	if id, ok := c.Evidence["documentId"].(string); ok {
		cv.DocumentID = id
	}
	cv.Evidence = evidenceRows("", c.Evidence)
	for i, kv := range cv.Evidence {
		if n, ok := names[kv.Value]; ok {
			cv.Evidence[i].Value = n
		}
	}
	if raw, err := json.MarshalIndent(c.Evidence, "", "  "); err == nil && len(c.Evidence) > 0 {
		cv.Raw = string(raw)
	}
	return cv
}

var evidenceLabels = map[string]string{
	"documentId": "Document", "nameOnDocument": "Name on the document", "registeredName": "Registered name",
	"matchScore": "Name match score", "failures": "Failures", "subType": "Document type", "documentNumber": "Document number",
	"expiryDate": "Expiry date", "issueDate": "Issue date", "maxAgeDays": "Maximum age in days",
	"documentAddress": "Address on the document", "registeredAddress": "Registered address", "verified": "Verified",
	"age": "Age", "minimum": "Minimum age", "listsChecked": "Lists checked", "reason": "Note", "riskLevel": "Risk level",
	"country": "Country", "missing": "Missing documents", "readable": "Readable", "faceMatch": "Face match",
	"liveness": "Liveness", "sanctions": "Sanctions result", "pep": "PEP result", "result": "Screening result",
	"mrz": "Machine-readable zone", "failedDigits": "Failed check digits", "valid": "Valid",
}

// humanise turns an identifier (camelCase or UPPER_SNAKE) into words.
func humanise(k string) string {
	if l, ok := evidenceLabels[k]; ok {
		return l
	}
	var b strings.Builder
	upper := strings.ToUpper(k) == k
	for i, r := range k {
		switch {
		case r == '_':
			b.WriteByte(' ')
		case upper:
			if i == 0 {
				b.WriteRune(r)
			} else {
				b.WriteString(strings.ToLower(string(r)))
			}
		case i > 0 && r >= 'A' && r <= 'Z':
			b.WriteByte(' ')
			b.WriteString(strings.ToLower(string(r)))
		case i == 0:
			b.WriteString(strings.ToUpper(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// evidenceRows flattens evidence into labelled lines: nested objects
// become "Parent › child", lists of words are joined, an address reads as
// one line.
func evidenceRows(prefix string, m map[string]any) []components.KV {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []components.KV
	for _, k := range keys {
		label := humanise(k)
		if prefix != "" {
			label = prefix + " › " + label
		}
		switch v := m[k].(type) {
		case map[string]any:
			if strings.HasSuffix(strings.ToLower(k), "address") {
				var a customer.Address
				raw, _ := json.Marshal(v)
				_ = json.Unmarshal(raw, &a)
				out = append(out, components.KV{Key: label, Value: formatAddress(a)})
				continue
			}
			out = append(out, evidenceRows(label, v)...)
		case []any:
			var words []string
			nested := false
			for i, item := range v {
				if obj, ok := item.(map[string]any); ok {
					nested = true
					out = append(out, evidenceRows(label+" "+strconv.Itoa(i+1), obj)...)
					continue
				}
				words = append(words, evidenceValue(item))
			}
			if !nested {
				if len(words) == 0 {
					words = []string{"none"}
				}
				out = append(out, components.KV{Key: label, Value: strings.Join(words, ", ")})
			}
		default:
			out = append(out, components.KV{Key: label, Value: evidenceValue(v)})
		}
	}
	return out
}

func evidenceValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "—"
	case bool:
		if t {
			return "yes"
		}
		return "no"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case string:
		return orDash(t)
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

func (s *server) handleReviewDecide() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := reviewID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		pf := r.PostForm
		form := emptyReviewForm()
		form.Notes = pf.Get("reviewerNotes")
		form.Enhanced = pf.Get("riskMitigation.enhancedMonitoring") == "true"
		form.DailyLimit = pf.Get("riskMitigation.transactionLimits.dailyLimit")
		form.ApprovalAbove = pf.Get("riskMitigation.transactionLimits.requiresApprovalAbove")
		in := kyc.ReviewInput{Decision: pf.Get("decision"), Notes: form.Notes, MayDecideHighRisk: emp.Can(staff.PermReviewsHigh)}
		in.Version, _ = strconv.Atoi(pf.Get("version"))
		// Blank rows of the form are not checks; the rest keep their
		// position so errors land on the right row.
		var rows []int
		for i := range formCheckRows {
			typ, res := pf.Get(fmt.Sprintf("additionalChecks[%d].type", i)), pf.Get(fmt.Sprintf("additionalChecks[%d].result", i))
			form.Checks[i] = reviews.CheckRow{Type: typ, Result: res}
			if strings.TrimSpace(typ) != "" || strings.TrimSpace(res) != "" {
				in.AdditionalChecks = append(in.AdditionalChecks, kyc.AdditionalCheckInput{Type: typ, Result: res})
				rows = append(rows, i)
			}
		}
		if form.Enhanced || strings.TrimSpace(form.DailyLimit) != "" || strings.TrimSpace(form.ApprovalAbove) != "" {
			in.RiskMitigation = &kyc.RiskMitigationInput{EnhancedMonitoring: form.Enhanced, DailyLimit: form.DailyLimit, RequiresApprovalAbove: form.ApprovalAbove}
		}
		v, err := s.KYC.Decide(r.Context(), emp.TenantID, id, in)
		if err != nil {
			e, ok := apperr.As(err)
			switch {
			case ok && e.Code == apperr.Invalid:
				for _, fe := range e.Fields {
					form.Errors[formField(fe.Field, rows)] = fe.Issue
				}
				s.reviewPage(w, r, http.StatusUnprocessableEntity, id, form, "The decision was not recorded: see the fields marked below.")
			case ok && (e.Code == apperr.Conflict || e.Code == apperr.Forbidden):
				s.reviewPage(w, r, statusOf(e.Code), id, form, e.Message)
			default:
				s.fail(w, r, err)
			}
			return
		}
		s.flash(w, r, "success", fmt.Sprintf("Decision recorded: the verification is now %s.", v.Status))
		s.seeOther(w, r, "/reviews/"+id.String())
	})
}

// formField maps an error's field (a JSON path, whose check index counts
// only the checks sent) to the form's field id.
func formField(field string, rows []int) string {
	var i int
	var rest string
	if n, _ := fmt.Sscanf(field, "additionalChecks[%d]", &i); n == 1 && i < len(rows) {
		_, rest, _ = strings.Cut(field, "]")
		return fmt.Sprintf("additionalChecks[%d]%s", rows[i], rest)
	}
	return field
}

func (s *server) handleReviewActivate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := reviewID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		v, err := s.KYC.Get(r.Context(), emp.TenantID, id, nil)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		opt := kyc.DefaultActivation
		opt.WalletCurrency = strings.ToUpper(strings.TrimSpace(r.PostForm.Get("activationOptions.walletCurrency")))
		opt.SendWelcomeEmail = r.PostForm.Get("activationOptions.sendWelcomeEmail") == "true"
		act, err := s.KYC.Activate(r.Context(), emp.TenantID, v.CustomerID, opt)
		if err != nil {
			e, ok := apperr.As(err)
			form := emptyReviewForm()
			switch {
			case ok && e.Code == apperr.Invalid:
				for _, fe := range e.Fields {
					form.Errors[fe.Field] = fe.Issue
				}
				s.reviewPage(w, r, http.StatusUnprocessableEntity, id, form, "The customer was not activated: see the fields marked below.")
			case ok && (e.Code == apperr.Conflict || e.Code == apperr.Forbidden || e.Code == apperr.NotFound):
				s.reviewPage(w, r, statusOf(e.Code), id, form, e.Message)
			default:
				s.fail(w, r, err)
			}
			return
		}
		msg := "The customer is active"
		if act.IBAN != "" {
			msg += fmt.Sprintf(" with a %s wallet, IBAN %s", act.Currency, act.IBAN)
		}
		s.flash(w, r, "success", msg+".")
		s.seeOther(w, r, "/reviews/"+id.String())
	})
}
