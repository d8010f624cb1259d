package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	auditv "github.com/ciamhq/ciam/views/audit"
)

// auditPageSize is how many records an audit page lists by default.
const auditPageSize = 50

func (s *server) handleAuditList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		view := auditv.List{
			Filter: auditv.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Entity: q.Get("entity"), Since: q.Get("since"), Until: q.Get("until")},
			Loc:    t.Location(), Now: s.Now(), Errors: map[string]string{},
		}
		f, errs := auditListFilter(q, t.Location())
		f.Limit = pageSize(q, auditPageSize)
		view.Errors = errs
		if b := q.Get("before"); b != "" {
			n, err := strconv.ParseInt(b, 10, 64)
			if err != nil || n <= 0 {
				s.fail(w, r, apperr.New(apperr.Malformed, "the page cursor is not valid"))
				return
			}
			f.BeforeSeq = n
		}
		status := http.StatusOK
		if len(view.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		} else {
			page, err := s.Audit.List(r.Context(), emp.TenantID, f)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, rec := range page.Records {
				view.Rows = append(view.Rows, auditRow(rec))
			}
			next := ""
			if page.NextBeforeSeq > 0 {
				next = strconv.FormatInt(page.NextBeforeSeq, 10)
			}
			view.Pager = keysetPager(r.URL, keysetFrom(q, "before", validSeq), page.Total, len(page.Records), f.Limit, next)
			view.Pager.Sizes = sizeLinks(r.URL, f.Limit, auditPageSize, "before", "trail")
			view.Pager.ExportURL = exportURL(r.URL, "/audit/export.csv", "before", "trail")
		}
		s.page(w, r, status, "Audit trail", "audit", auditv.ListPage(view))
	})
}

// validSeq reports whether s is an audit record's number: the audit
// list's cursor.
func validSeq(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func auditRow(rec audit.Record) auditv.Row {
	entity := rec.EntityType
	if rec.EntityID != "" {
		entity += ":" + rec.EntityID
	}
	actorName := rec.ActorName
	if actorName == "" {
		actorName = rec.ActorID
	}
	return auditv.Row{ID: rec.ID.String(), Seq: rec.Seq, At: rec.OccurredAt, Actor: actorName, ActorType: rec.ActorType,
		Action: rec.Action, Entity: entity, ReasonCode: rec.ReasonCode, TraceID: rec.TraceID,
		CallerTraceparent: rec.CallerTraceparent}
}

func (s *server) handleAuditShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "audit record")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rec, err := s.Audit.Get(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// The states as the one rule lets emp see the customer's values.
		entityType, entityID := rec.EntityType, rec.EntityID
		if entityType == "change_request" {
			if id, err := uuid.Parse(entityID); err == nil {
				if req, err := s.Approvals.Get(r.Context(), emp.TenantID, id); err == nil {
					entityType, entityID = req.TargetType, req.TargetID
				} else if apperr.CodeOf(err) != apperr.NotFound {
					s.fail(w, r, err)
					return
				}
			}
		}
		mask, err := s.recordText(r.Context(), emp, entityType, entityID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d := auditv.Detail{Row: auditRow(rec), Changes: maskedDiff(mask, rec.Before, rec.After),
			Before: pretty(maskJSON(mask, rec.Before)), After: pretty(maskJSON(mask, rec.After)), Loc: t.Location()}
		s.page(w, r, http.StatusOK, "Audit record", "audit", auditv.DetailPage(d))
	})
}

func pretty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	return plainJSON(v, "  ")
}

// plainJSON is v as JSON for people to read: "a > b" stays "a > b" rather
// than "a \u003e b" (the page escapes what it shows).
func plainJSON(v any, indent string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// diffJSON lists the leaves that differ between two JSON documents.
func diffJSON(before, after json.RawMessage) []auditv.Change {
	b, a := map[string]string{}, map[string]string{}
	flatten("", decode(before), b)
	flatten("", decode(after), a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []auditv.Change
	for k := range keys {
		bv, inB := b[k]
		av, inA := a[k]
		switch {
		case inB && !inA:
			out = append(out, auditv.Change{Path: k, Before: bv, After: "—", Kind: "removed"})
		case !inB && inA:
			out = append(out, auditv.Change{Path: k, Before: "—", After: av, Kind: "added"})
		case bv != av:
			out = append(out, auditv.Change{Path: k, Before: bv, After: av, Kind: "changed"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func decode(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	return v
}

// flatten turns nested objects into dotted paths; arrays stay whole, as
// their order is meaningful (a role list reads better as one value).
func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, child, out)
		}
	case nil:
		if prefix != "" {
			out[prefix] = "null"
		}
	default:
		if prefix == "" {
			prefix = "(value)"
		}
		out[prefix] = plainJSON(t, "")
	}
}
