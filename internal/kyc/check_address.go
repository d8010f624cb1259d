package kyc

import (
	"encoding/json"
	"time"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence"
)

// addressCheck turns what the server read from a proof of address into a
// result: it passes when the document names the customer, shows the
// registered address (normalised, tolerant of abbreviations and order)
// and was issued within maxAgeDays by the date printed on it. The
// declared issue date and address can only fail it.
func addressCheck(d db.Document, ev *evidence.Evidence, reading bool, cust customer.Customer, now time.Time, maxAgeDays int) CheckResult {
	var md Metadata
	_ = json.Unmarshal(d.Metadata, &md)
	e := map[string]any{"documentId": d.ID, "subType": d.SubType, "maxAgeDays": maxAgeDays, "registeredAddress": cust.Address, "verified": false}
	res := CheckResult{Kind: CheckAddress, Evidence: e}
	if ev == nil {
		res.Status = unread(e, reading)
		return res
	}
	a := readAddress(ev, md, cust, now, maxAgeDays)
	e["holderOnDocument"] = a.Name
	e["addressOnDocument"] = a.Lines
	e["issueDateOnDocument"] = dateOrNil(a.IssueDate)
	e["addressMatch"] = a.Address
	e["failures"] = a.Failures
	if !md.Address.IsZero() {
		e["declaredAddress"] = md.Address.String()
	}
	if md.IssueDate != "" {
		e["declaredIssueDate"] = md.IssueDate
	}
	switch {
	case !a.Read:
		res.Status = Unreadable
	case a.Verified():
		res.Status = Passed
		e["verified"] = true
		res.Score = score(a.Address.Score)
	default:
		res.Status = Failed
	}
	return res
}

// unread is the status of a check whose document has no evidence, with
// the reason in e: NOT_CHECKED when this server reads no documents,
// UNREADABLE when it tried and read nothing.
func unread(e map[string]any, reading bool) string {
	if !reading {
		e["reason"] = "documents are not read on this server (OCR tools missing): nothing was checked"
		return NotChecked
	}
	e["reason"] = "the document could not be read"
	return Unreadable
}
