package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/amlrules"
	"github.com/ciamhq/ciam/views/components"
	"github.com/ciamhq/ciam/views/labels"
)

func (s *server) handleAMLRuleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ov, err := s.AML.Overview(r.Context(), emp.TenantID, t.Location(), s.Now())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := amlrules.List{CanEdit: emp.Can(staff.PermAMLRulesEdit), Decisions: decisionsChart(ov.Decisions)}
		for _, rs := range ov.Rules {
			row := amlrules.RuleRow{ID: rs.ID.String(), Name: rs.Name, Outcome: string(rs.Outcome), Score: rs.Score, Scope: rs.Scope.Summary(),
				Status: rs.Status, LatestVersion: rs.LatestVersion, NewerDraft: rs.NewerDraft, Pending: rs.Pending, BuiltIn: rs.BuiltIn,
				Hits7: rs.Hits7, Hits30: rs.Hits30, Errors7: rs.Errors7, LastError: rs.LastError,
				Spark: components.Sparkline{Label: "Hits per day, last 30 days", Values: rs.Daily}}
			if rs.ActiveVersion != nil {
				row.ActiveVersion = *rs.ActiveVersion
			}
			if rs.BuiltIn {
				row.Scope = rs.Doc
			}
			view.Rules = append(view.Rules, row)
		}
		s.page(w, r, http.StatusOK, "AML rules", "aml-rules", amlrules.RulesPage(view))
	})
}

// decisionsChart is the decisions of each day, stacked by outcome.
func decisionsChart(days []aml.DayDecisions) components.StackedChart {
	c := components.StackedChart{ID: "decisions", Title: "Decisions per day, last 30 days",
		Series: []components.Series{{Name: "ALLOW", Tone: "green"}, {Name: "WARN", Tone: "amber"}, {Name: "REVIEW", Tone: "orange"}, {Name: "BLOCK", Tone: "red"}}}
	totals := map[aml.Outcome]int64{}
	for _, d := range days {
		bar := components.StackedBar{Label: d.Day.Format("2"), Title: d.Day.Format("Mon 2 Jan 2006")}
		for _, o := range []aml.Outcome{aml.Allow, aml.Warn, aml.Review, aml.Block} {
			bar.Values = append(bar.Values, d.Counts[o])
			totals[o] += d.Counts[o]
		}
		c.Bars = append(c.Bars, bar)
	}
	c.Summary = fmt.Sprintf("Over 30 days: %s allowed, %s warned, %s sent for review, %s blocked.", components.Count(totals[aml.Allow]),
		components.Count(totals[aml.Warn]), components.Count(totals[aml.Review]), components.Count(totals[aml.Block]))
	return c
}

// ------------------------------------------------------------------ editor

// splitList reads "GB, DE FR" as a list.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' })
}

// ruleForm is what the editor sent.
type ruleForm struct {
	def    aml.Definition
	kind   string
	params map[string]string
	score  string
	errs   map[string]string
}

func readRuleForm(v url.Values) ruleForm {
	f := ruleForm{kind: v.Get("kind"), params: map[string]string{}, score: strings.TrimSpace(v.Get("score")), errs: map[string]string{}}
	if _, ok := aml.FormKindOf(f.kind); !ok {
		f.kind = aml.KindExpression
	}
	for k, vals := range v {
		if name, ok := strings.CutPrefix(k, "p."); ok && len(vals) > 0 {
			f.params[name] = vals[0]
		}
	}
	f.def = aml.Definition{Name: v.Get("name"), Description: v.Get("description"), Outcome: aml.Outcome(v.Get("outcome")),
		Expression: v.Get("expression"), Scope: aml.Scope{Countries: splitList(v.Get("countries")), Types: splitList(v.Get("types")),
			Channels: splitList(v.Get("channels")), RiskLevels: v["risk"]}}
	if n, err := strconv.Atoi(f.score); err == nil {
		f.def.Score = n
	} else {
		f.def.Score = -1
	}
	if f.kind != aml.KindExpression {
		f.def.Form = &aml.Form{Kind: f.kind, Params: f.params}
	}
	return f
}

var ruleKinds = func() []amlrules.Option {
	out := []amlrules.Option{{Value: aml.KindExpression, Label: "Expression (CEL)"}}
	for _, k := range aml.FormKinds {
		out = append(out, amlrules.Option{Value: k.Kind, Label: k.Label})
	}
	return out
}()

// conditionView compiles the condition of the editor and places every
// problem: form parameters under their field, expression problems at
// their line and column.
func (s *server) conditionView(kind string, params map[string]string, expr string) amlrules.Condition {
	c := amlrules.Condition{Kind: kind, Kinds: ruleKinds, Expression: expr, Checked: true}
	if kind == aml.KindExpression {
		c.Doc = "Written by hand. The reference beside the editor lists what a condition can read and call."
		c.Issues = issueViews(expr, s.AML.CheckExpression(expr))
		return c
	}
	k, _ := aml.FormKindOf(kind)
	c.Doc = k.Doc
	paramErrs := map[string]string{}
	generated, err := aml.Form{Kind: kind, Params: params}.Expression()
	if e, ok := apperr.As(err); ok {
		for _, f := range e.Fields {
			paramErrs[strings.TrimPrefix(f.Field, "form.")] = f.Issue
		}
		c.Error = "Some parameters are not valid."
	}
	for _, f := range k.Fields {
		v, ok := params[f.Name]
		if !ok {
			v = f.Default
		}
		c.Params = append(c.Params, amlrules.Param{Name: f.Name, Label: f.Label, Hint: f.Hint, Value: v, Options: f.Options,
			Optional: f.Optional, Error: paramErrs[f.Name]})
	}
	c.Expression = generated
	if err == nil {
		c.Issues = issueViews(generated, s.AML.CheckExpression(generated))
	}
	return c
}

func issueViews(expr string, issues aml.Issues) []amlrules.IssueView {
	lines := strings.Split(expr, "\n")
	var out []amlrules.IssueView
	for _, is := range issues {
		v := amlrules.IssueView{Line: is.Line, Column: is.Column, Message: is.Message}
		if is.Line > 0 && is.Line <= len(lines) {
			v.Source = lines[is.Line-1]
		}
		out = append(out, v)
	}
	return out
}

func refs() (vars, funcs, keys []amlrules.Ref) {
	for _, v := range aml.Vars {
		vars = append(vars, amlrules.Ref{Name: v.Name, Type: v.Type, Doc: v.Doc})
	}
	for _, f := range aml.Funcs {
		funcs = append(funcs, amlrules.Ref{Name: f.Signature, Doc: f.Doc})
	}
	for _, k := range aml.FilterKeys {
		keys = append(keys, amlrules.Ref{Name: `"` + k.Name + `"`, Type: k.Type, Doc: k.Doc})
	}
	return
}

// editorView is the editor showing f.
func (s *server) editorView(f ruleForm, ruleID string) amlrules.Editor {
	e := amlrules.Editor{Action: "/aml/rules", RuleID: ruleID, Title: "New rule", Subtitle: "It starts as a draft and screens nothing until published.",
		Name: f.def.Name, Description: f.def.Description, Outcome: string(f.def.Outcome), Score: f.score,
		Countries: strings.Join(f.def.Scope.Countries, ", "), Types: strings.Join(f.def.Scope.Types, ", "),
		Channels: strings.Join(f.def.Scope.Channels, ", "), Risks: f.def.Scope.RiskLevels, Errors: f.errs}
	if ruleID != "" {
		e.Action = "/aml/rules/" + ruleID
		e.Title = "Edit " + f.def.Name
	}
	e.Condition = s.conditionView(f.kind, f.params, f.def.Expression)
	e.Vars, e.Funcs, e.FilterKeys = refs()
	return e
}

func (s *server) handleAMLRuleNew() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := ruleForm{kind: aml.KindAmount, params: aml.DefaultForm(aml.KindAmount).Params, score: "50", errs: map[string]string{},
			def: aml.Definition{Outcome: aml.Review}}
		s.page(w, r, http.StatusOK, "New AML rule", "aml-rules", amlrules.EditorPage(s.editorView(f, "")))
	})
}

// handleAMLCondition is the condition part of the editor for another
// kind (htmx), or the whole editor again (without script). Switching from
// a form to an expression starts from the condition the form generated.
func (s *server) handleAMLCondition() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := readRuleForm(q)
		prev := q.Get("prev_kind")
		if prev != f.kind {
			if f.kind == aml.KindExpression {
				if expr, err := (aml.Form{Kind: prev, Params: f.params}).Expression(); err == nil {
					f.def.Expression = expr
				}
			} else {
				f.params = aml.DefaultForm(f.kind).Params
			}
		}
		if isHTMX(r) {
			s.render(w, r, http.StatusOK, amlrules.ConditionSection(s.conditionView(f.kind, f.params, f.def.Expression)))
			return
		}
		id := q.Get("rule_id")
		if _, err := uuid.Parse(id); err != nil {
			id = ""
		}
		s.page(w, r, http.StatusOK, "AML rule", "aml-rules", amlrules.EditorPage(s.editorView(f, id)))
	})
}

// handleAMLCheck compiles the editor's condition as it is typed.
func (s *server) handleAMLCheck() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.readForm(w, r) {
			return
		}
		f := readRuleForm(r.PostForm)
		s.render(w, r, http.StatusOK, amlrules.Check(s.conditionView(f.kind, f.params, f.def.Expression)))
	})
}

// saveRule creates a rule (rule == uuid.Nil) or saves a draft of it, and
// shows the editor again with the problems when there are some.
func (s *server) saveRule(w http.ResponseWriter, r *http.Request, rule uuid.UUID) {
	emp, _ := employeeFrom(r.Context())
	if !s.readForm(w, r) {
		return
	}
	f := readRuleForm(r.PostForm)
	var (
		v   aml.Version
		err error
	)
	if rule == uuid.Nil {
		v, err = s.AML.CreateRule(r.Context(), emp.TenantID, f.def)
	} else {
		v, err = s.AML.SaveDraft(r.Context(), emp.TenantID, rule, f.def)
	}
	if fieldErrors(err, f.errs) {
		if f.score != "" && f.def.Score < 0 {
			f.errs["score"] = "must be a whole number from 0 to 100"
		}
		id := ""
		if rule != uuid.Nil {
			id = rule.String()
		}
		s.page(w, r, http.StatusUnprocessableEntity, "AML rule", "aml-rules", amlrules.EditorPage(s.editorView(f, id)))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(w, r, "success", fmt.Sprintf("Saved “%s” as draft version %d. Run it in shadow, then propose it for publication.", v.Name, v.Version))
	s.seeOther(w, r, "/aml/rules/"+v.RuleID.String())
}

func (s *server) handleAMLRuleCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.saveRule(w, r, uuid.Nil) })
}

func ruleID(r *http.Request) (uuid.UUID, error) {
	return pathID(r, "id", "rule")
}

func (s *server) handleAMLRuleSave() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := ruleID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.saveRule(w, r, id)
	})
}

func (s *server) handleAMLRuleEdit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := ruleID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, err := s.AML.Rule(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v := d.Latest
		f := ruleForm{def: v.Definition, kind: aml.KindExpression, params: map[string]string{}, score: strconv.Itoa(v.Score), errs: map[string]string{}}
		if v.Form != nil {
			f.kind, f.params = v.Form.Kind, v.Form.Params
		}
		e := s.editorView(f, id.String())
		switch p := d.Pending(); {
		case p != nil:
			what := map[string]string{aml.KindPublish: "publication", aml.KindRollback: "rollback", aml.KindDeactivate: "deactivation"}[p.Kind]
			e.Subtitle = fmt.Sprintf("Pending approval: the %s of version %d. Saving makes version %d; the proposal stays as it is.",
				what, p.Version, d.Latest.Version+1)
		case d.Draft != nil:
			e.Subtitle = fmt.Sprintf("Editing draft version %d.", v.Version)
		default:
			e.Subtitle = fmt.Sprintf("Saving makes version %d; version %d stays as it is.", v.Version+1, v.Version)
		}
		s.page(w, r, http.StatusOK, "Edit AML rule", "aml-rules", amlrules.EditorPage(e))
	})
}

// ------------------------------------------------------------- rule page

func ruleVersionView(v aml.Version) amlrules.VersionView {
	kind := "expression"
	if v.Form != nil {
		if k, ok := aml.FormKindOf(v.Form.Kind); ok {
			kind = "form: " + strings.ToLower(k.Label)
		}
	}
	return amlrules.VersionView{Version: v.Version, Name: v.Name, Description: v.Description, Outcome: string(v.Outcome), Score: v.Score,
		Scope: v.Scope.Summary(), Expression: v.Expression, Kind: kind, EditedBy: v.EditedBy, Updated: v.UpdatedAt}
}

func (s *server) handleAMLRuleShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := ruleID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, err := s.AML.Rule(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := amlrules.Detail{ID: id.String(), Name: d.Latest.Name, Latest: ruleVersionView(d.Latest), LatestEditable: d.Draft != nil,
			CanEdit: emp.Can(staff.PermAMLRulesEdit), Loc: t.Location(), Now: s.Now()}
		if a := d.Active(); a != nil {
			av := ruleVersionView(*a)
			view.Active, view.Name = &av, a.Name
		}
		for _, v := range d.Versions {
			view.Versions = append(view.Versions, amlrules.VersionRow{Version: v.Version.Version, Status: v.Status, Name: v.Name,
				Outcome: string(v.Outcome), EditedBy: v.EditedBy, Updated: v.UpdatedAt, CanRollback: v.Status == aml.VersionRetired})
			if v.Version.Version == d.Latest.Version {
				view.LatestIsNew = v.Status == aml.VersionDraft || v.Status == aml.VersionProposed || v.Status == aml.VersionPending
			}
		}
		if p := d.Pending(); p != nil {
			view.Pending = &amlrules.PendingView{ID: p.ID.String(), Kind: p.Kind, Version: p.Version, Maker: p.Maker}
		}
		for _, run := range d.ShadowRuns {
			view.Runs = append(view.Runs, amlrules.RunRow{ID: run.ID.String(), Version: run.Version, Days: run.Days, Status: run.Status,
				Percent: run.Percent(), Hits: run.Hits, Total: run.Total, Requested: run.RequestedBy, Created: run.CreatedAt})
			if run.Version == d.Latest.Version && run.Status == aml.ShadowDone {
				view.LatestShadowed = true
			}
		}
		for _, e := range d.Errors {
			view.Errors = append(view.Errors, amlrules.ErrorRow{Version: e.Version, Message: e.Message, At: e.At})
		}
		s.page(w, r, http.StatusOK, view.Name, "aml-rules", amlrules.DetailPage(view))
	})
}

// ruleAction reads a rule action's form: the version and the reason.
func (s *server) ruleAction(w http.ResponseWriter, r *http.Request) (uuid.UUID, int, string, bool) {
	id, err := ruleID(r)
	if err != nil {
		s.fail(w, r, err)
		return id, 0, "", false
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
		return id, 0, "", false
	}
	v, _ := strconv.Atoi(r.PostForm.Get("version"))
	return id, v, r.PostForm.Get("reason"), true
}

// afterRuleAction flashes the outcome of an action on rule id and goes
// back to the rule's page.
func (s *server) afterRuleAction(w http.ResponseWriter, r *http.Request, id uuid.UUID, err error, ok string) {
	switch c := apperr.CodeOf(err); {
	case err == nil:
		s.flash(w, r, "success", ok)
	case c == apperr.Invalid || c == apperr.Conflict || c == apperr.Forbidden:
		e, _ := apperr.As(err)
		msg := e.Message
		if len(e.Fields) > 0 {
			msg = e.Fields[0].Field + ": " + e.Fields[0].Issue
		}
		s.flash(w, r, "error", msg)
	default:
		s.fail(w, r, err)
		return
	}
	s.seeOther(w, r, "/aml/rules/"+id.String())
}

func (s *server) handleAMLShadowStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, version, _, ok := s.ruleAction(w, r)
		if !ok {
			return
		}
		days, err := strconv.Atoi(r.PostForm.Get("days"))
		if err != nil {
			days = 0
		}
		run, err := s.AML.StartShadowRun(r.Context(), emp.TenantID, id, version, days)
		if err != nil {
			s.afterRuleAction(w, r, id, err, "")
			return
		}
		s.seeOther(w, r, "/aml/rules/"+id.String()+"/shadow/"+run.ID.String())
	})
}

func (s *server) handleAMLPublish() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, version, reason, ok := s.ruleAction(w, r)
		if !ok {
			return
		}
		_, err := s.AML.ProposePublish(r.Context(), emp.TenantID, id, version, reason)
		s.afterRuleAction(w, r, id, err, fmt.Sprintf("Version %d is proposed for publication. It screens once another employee approves.", version))
	})
}

func (s *server) handleAMLRollback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, version, reason, ok := s.ruleAction(w, r)
		if !ok {
			return
		}
		_, err := s.AML.ProposeRollback(r.Context(), emp.TenantID, id, version, reason)
		s.afterRuleAction(w, r, id, err, fmt.Sprintf("The rollback to version %d is proposed. It applies once another employee approves.", version))
	})
}

func (s *server) handleAMLDeactivate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, _, reason, ok := s.ruleAction(w, r)
		if !ok {
			return
		}
		_, err := s.AML.ProposeDeactivate(r.Context(), emp.TenantID, id, reason)
		s.afterRuleAction(w, r, id, err, "The deactivation is proposed. It applies once another employee approves.")
	})
}

func (s *server) handleAMLShadowShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := ruleID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		runID, err := pathID(r, "run", "shadow run")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		run, err := s.AML.ShadowRun(r.Context(), emp.TenantID, runID)
		if err == nil && run.RuleID != id {
			err = apperr.New(apperr.NotFound, "no such shadow run")
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, err := s.AML.Rule(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := amlrules.Run{RuleID: id.String(), RuleName: d.Latest.Name, ID: run.ID.String(), Version: run.Version, Days: run.Days,
			Status: run.Status, Percent: run.Percent(), Finished: run.Finished(), Total: run.Total, Processed: run.Processed, Hits: run.Hits,
			Customers: run.Customers, Errors: run.Errors, LastError: run.LastError, From: run.From, To: run.To, Loc: t.Location(), Now: s.Now()}
		if run.ActiveVersion != nil {
			view.HasActive, view.ActiveVersion = true, *run.ActiveVersion
			if run.ActiveHits != nil {
				view.ActiveHits = *run.ActiveHits
			}
		}
		view.Chart = components.BarChart{ID: "shadow-days", Title: "Would have triggered, per day (UTC)",
			Summary: fmt.Sprintf("%s hits over %d days.", components.Count(int64(run.Hits)), run.Days)}
		hits := map[string]int{}
		for _, d := range run.ByDay {
			hits[d.Day] = d.Hits
		}
		for day := run.From.UTC().Truncate(24 * time.Hour); !day.After(run.To); day = day.AddDate(0, 0, 1) {
			key := day.Format(time.DateOnly)
			view.Chart.Bars = append(view.Chart.Bars, components.Bar{Label: day.Format("2"), Title: day.Format("Mon 2 Jan 2006"), Value: int64(hits[key])})
		}
		for _, ex := range run.Examples {
			view.Examples = append(view.Examples, amlrules.Example{TransactionID: ex.TransactionID, CustomerID: ex.CustomerID.String(),
				At: ex.At, Amount: labels.AmountText(ex.Amount, ex.Currency), Values: kvs(ex.Values, ex.Currency)})
		}
		s.page(w, r, http.StatusOK, "Shadow run", "aml-rules", amlrules.RunPage(view))
	})
}

// kvs lists the values a rule computed, sorted by name.
// kvs are what a rule computed, as its hit lists them. An amount is
// written in its currency's minor units with the currency ("537.50 EUR"
// beside "15000.00 EUR", not "537.5"): the currency an expression names
// (amount_in("EUR")), else the transaction's (txCurrency, or the one the
// rule recorded).
func kvs(m map[string]any, txCurrency string) []amlrules.KV {
	for _, k := range []string{"currency", "tx.currency"} {
		if c, ok := m[k].(string); ok && c != "" {
			txCurrency = c
		}
	}
	out := make([]amlrules.KV, 0, len(m))
	for k, v := range m {
		text := fmt.Sprint(v)
		if cur := amountCurrency(k, txCurrency); cur != "" {
			text = labels.AmountText(text, cur)
		}
		out = append(out, amlrules.KV{Key: goDurations.ReplaceAllStringFunc(k, shortDuration), Value: text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// namedCurrency is a currency an expression names: amount_in("EUR").
var namedCurrency = regexp.MustCompile(`\("([A-Z]{3})"`)

// amountWords are the parts of a computed value's name that say it is an
// amount of money.
var amountWords = []string{"amount", "sum", "total", "limit", "spent", "balance", "above"}

// amountCurrency is the currency of the computed value named key when it
// is an amount of money; "" when it is not.
func amountCurrency(key, txCurrency string) string {
	if m := namedCurrency.FindStringSubmatch(key); m != nil {
		return m[1]
	}
	lower := strings.ToLower(key)
	for _, w := range amountWords {
		if strings.Contains(lower, w) {
			return txCurrency
		}
	}
	return ""
}

// goDurations are Go's durations as a rule's computed values are named
// after the expression ("count_over(24h0m0s, …)"), where the rule says 24h.
var goDurations = regexp.MustCompile(`\b\d+h\d+m\d+s\b|\b\d+m\d+s\b`)

// shortDuration writes a Go duration as the rule builder does: "24h",
// "15m", "1h30m".
func shortDuration(d string) string {
	v, err := time.ParseDuration(d)
	if err != nil {
		return d
	}
	out := v.String() // "24h0m0s", "1h30m0s", "15m0s"
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}
