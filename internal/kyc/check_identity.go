package kyc

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence"
)

// identityCheck turns what the server read from the identity document
// into a result. It passes only on evidence: an MRZ whose every check
// digit agrees (or, on a driver's licence, the labelled visual zone),
// naming the registered person with their date of birth, not expired,
// agreeing with the page's visual zone, with no sign of editing. What the
// caller declared can only add failures.
func identityCheck(d db.Document, ev *evidence.Evidence, reading bool, cust customer.Customer, now time.Time) (res CheckResult) {
	var md Metadata
	_ = json.Unmarshal(d.Metadata, &md)
	e := map[string]any{"documentId": d.ID, "subType": d.SubType}
	// res is named: the deferred function below turns a result with
	// failures into FAILED after every return.
	res = CheckResult{Kind: CheckIdentity, Status: Passed, Evidence: e}
	failures := []string{}
	fail := func(f string) {
		if !slices.Contains(failures, f) {
			failures = append(failures, f)
		}
	}
	defer func() {
		e["failures"] = failures
		if res.Status == Passed && len(failures) > 0 {
			res.Status = Failed
		}
	}()
	if ev == nil {
		res.Status = unread(e, reading)
		return res
	}
	read := readIdentity(ev)
	e["source"] = read.Source
	if q := ev.Quality; q != nil {
		e["quality"] = q
	}
	if len(ev.Signals) > 0 {
		e["signals"] = ev.Signals
	}
	if read.Source == "" {
		res.Status = Unreadable
		e["reason"] = "neither a machine-readable zone nor a labelled visual zone could be read"
		return res
	}
	e["read"] = map[string]any{"surname": read.Surname, "givenNames": read.GivenNames, "documentNumber": read.DocumentNumber,
		"nationality": read.Nationality, "dateOfBirth": dateOrNil(read.DateOfBirth), "expiryDate": dateOrNil(read.Expiry)}
	if m := ev.MRZ; m != nil {
		e["mrz"] = map[string]any{"format": m.Format, "valid": m.Valid, "checks": m.Checks, "box": m.Box}
		if !m.Valid {
			fail("MRZ_CHECK_DIGITS")
		}
		if len(ev.VisualZoneMissing) > 0 {
			e["visualZoneDisagrees"] = ev.VisualZoneMissing
			fail("MRZ_VISUAL_ZONE_MISMATCH")
		}
	} else if kindOf(d.Type, d.SubType) != evidence.KindDriverLicence {
		fail("NO_MRZ")
	}
	for _, sg := range ev.Signals {
		if sg.Code == evidence.SignalEditedWithSoftware {
			fail("EDITED_WITH_SOFTWARE")
		}
	}

	// The document against the registration.
	e["registeredName"] = cust.FullName()
	if read.Name() == "" {
		fail("NO_NAME_ON_DOCUMENT")
	} else {
		sc, both := NameMatch(read.Name(), cust.FirstName, cust.MiddleName, cust.LastName)
		res.Score = score(sc)
		e["nameOnDocument"] = read.Name()
		e["matchScore"] = sc
		if !both {
			fail("NAME_MISMATCH")
		}
	}
	switch {
	case read.DateOfBirth.IsZero():
		fail("NO_DATE_OF_BIRTH_ON_DOCUMENT")
	case !sameDay(read.DateOfBirth, cust.DateOfBirth):
		fail("DATE_OF_BIRTH_MISMATCH")
	}
	switch {
	case read.Expiry.IsZero():
		fail("NO_EXPIRY_ON_DOCUMENT")
	case read.Expiry.Before(today(now)):
		fail("EXPIRED")
	}

	// What the caller declared can fail the check, never pass it.
	if md.ExpiryDate != "" {
		if x, ok := parseDate(md.ExpiryDate); !ok || x.Before(today(now)) {
			fail("DECLARED_EXPIRED")
		} else if !read.Expiry.IsZero() && !sameDay(x, read.Expiry) {
			fail("DECLARED_EXPIRY_DIFFERS")
		}
	}
	if v := str(md.ExtractedData, "dateOfBirth"); v != "" && v != cust.DateOfBirth.Format(time.DateOnly) {
		fail("DECLARED_DATE_OF_BIRTH_DIFFERS")
	}
	if v := strings.ToUpper(strings.ReplaceAll(md.DocumentNumber, " ", "")); v != "" && read.DocumentNumber != "" && v != read.DocumentNumber {
		fail("DECLARED_DOCUMENT_NUMBER_DIFFERS")
	}
	return res
}

func dateOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.DateOnly)
}
