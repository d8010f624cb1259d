package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// Reporting are the organisation's settings for reports to authorities:
// how long extracts are kept for download, and who the organisation is to
// its financial intelligence unit (the goAML reporting entity).
type Reporting struct {
	// Retention is how long a finished extract is kept for download.
	Retention time.Duration `json:"retention"`
	GoAML     GoAMLEntity   `json:"goaml"`
}

// GoAMLEntity identifies the reporting entity in goAML reports: the id
// the FIU gave it when it registered, its branch, the person who files
// (the money-laundering reporting officer) and where the entity is.
type GoAMLEntity struct {
	EntityID        string `json:"entityId"`
	Branch          string `json:"branch"`
	PersonFirstName string `json:"personFirstName"`
	PersonLastName  string `json:"personLastName"`
	PersonEmail     string `json:"personEmail"`
	PersonPhone     string `json:"personPhone"`
	PersonRole      string `json:"personRole"`
	Address         string `json:"address"`
	City            string `json:"city"`
	Postcode        string `json:"postcode"`
	Country         string `json:"country"`
	// TransmodeCode and FundsCode are the FIU's lookup codes for how the
	// reported transactions were made and the kind of funds (each FIU
	// publishes its own lists); Indicators are the FIU's report indicator
	// codes every report carries, comma-separated.
	TransmodeCode string `json:"transmodeCode"`
	FundsCode     string `json:"fundsCode"`
	Indicators    string `json:"indicators"`
}

// IndicatorList is Indicators split.
func (g GoAMLEntity) IndicatorList() []string {
	var out []string
	for _, s := range strings.Split(g.Indicators, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Configured reports whether the entity can file: it has its id, its
// reporting person and its address.
func (g GoAMLEntity) Configured() bool {
	return g.EntityID != "" && g.PersonFirstName != "" && g.PersonLastName != "" && g.Address != "" && g.City != "" && g.Country != "" &&
		g.TransmodeCode != "" && g.FundsCode != "" && len(g.IndicatorList()) > 0
}

// Report retention bounds.
const (
	MinReportRetention = time.Hour
	MaxReportRetention = 90 * 24 * time.Hour
)

var (
	goamlIDRE   = regexp.MustCompile(`^[0-9]{1,10}$`)
	goamlCodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,25}$`)
	phoneRE     = regexp.MustCompile(`^\+?[0-9 ()-]{5,25}$`)
)

// Validate names every problem, by field. The goAML fields may all be
// empty (the organisation files no goAML reports); once the id is given,
// what a report needs of the entity is required.
func (r Reporting) Validate() error {
	var fe apperr.Fields
	durationBetween(&fe, "reportRetention", r.Retention, MinReportRetention, MaxReportRetention)
	g := r.GoAML
	if g.EntityID != "" && !goamlIDRE.MatchString(g.EntityID) {
		fe.Add("goamlEntityId", "the number the FIU gave you: digits only, up to 10")
	}
	text := func(field, v string, n int) {
		if len(v) > n {
			fe.Add(field, "at most %d characters", n)
		}
	}
	text("goamlBranch", g.Branch, 255)
	text("goamlPersonFirstName", g.PersonFirstName, 100)
	text("goamlPersonLastName", g.PersonLastName, 100)
	text("goamlPersonRole", g.PersonRole, 255)
	text("goamlAddress", g.Address, 100)
	text("goamlCity", g.City, 255)
	text("goamlPostcode", g.Postcode, 10)
	if g.PersonEmail != "" {
		if a, err := mail.ParseAddress(g.PersonEmail); err != nil || a.Address != g.PersonEmail {
			fe.Add("goamlPersonEmail", "not an e-mail address")
		}
	}
	if g.PersonPhone != "" && !phoneRE.MatchString(g.PersonPhone) {
		fe.Add("goamlPersonPhone", "digits, spaces, brackets and dashes, with an optional leading +")
	}
	if g.Country != "" && (len(g.Country) != 2 || strings.ToUpper(g.Country) != g.Country) {
		fe.Add("goamlCountry", "use an ISO 3166 alpha-2 code such as GB")
	}
	for field, v := range map[string]string{"goamlTransmodeCode": g.TransmodeCode, "goamlFundsCode": g.FundsCode} {
		if v != "" && !goamlCodeRE.MatchString(v) {
			fe.Add(field, "the FIU's code: letters, digits, _ and -, up to 25")
		}
	}
	for _, c := range g.IndicatorList() {
		if !goamlCodeRE.MatchString(c) {
			fe.Add("goamlIndicators", "%q is not an indicator code: letters, digits, _ and -, up to 25, separated by commas", c)
			break
		}
	}
	if g.EntityID != "" {
		for field, v := range map[string]string{"goamlPersonFirstName": g.PersonFirstName, "goamlPersonLastName": g.PersonLastName,
			"goamlAddress": g.Address, "goamlCity": g.City, "goamlCountry": g.Country, "goamlTransmodeCode": g.TransmodeCode,
			"goamlFundsCode": g.FundsCode, "goamlIndicators": g.Indicators} {
			if strings.TrimSpace(v) == "" && !fe.Has(field) {
				fe.Add(field, "required once the reporting entity id is set")
			}
		}
	}
	return fe.Err()
}

func reportingFrom(row db.ReportingSettingsRow) Reporting {
	r := Reporting{Retention: db.Duration(row.ReportRetention)}
	_ = json.Unmarshal(row.Goaml, &r.GoAML)
	return r
}

// Reporting returns tenant's reporting settings.
func (s *PreferenceService) Reporting(ctx context.Context, tenant uuid.UUID) (Reporting, error) {
	var out Reporting
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		if _, err := settingsRow(ctx, q, tenant); err != nil {
			return err
		}
		row, err := q.ReportingSettings(ctx, tenant)
		out = reportingFrom(row)
		return err
	})
	if err != nil {
		return Reporting{}, fmt.Errorf("tenant: reporting settings: %w", err)
	}
	return out, nil
}

// UpdateReporting changes tenant's reporting settings, audited with before
// and after and announced as config.changed.
func (s *PreferenceService) UpdateReporting(ctx context.Context, tenant uuid.UUID, r Reporting) (Reporting, error) {
	if err := r.Validate(); err != nil {
		return Reporting{}, err
	}
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		if _, err := settingsRow(ctx, q, tenant); err != nil {
			return err
		}
		row, err := q.ReportingSettings(ctx, tenant)
		if err != nil {
			return err
		}
		before := reportingFrom(row)
		if before == r {
			return nil
		}
		g, err := json.Marshal(r.GoAML)
		if err != nil {
			return err
		}
		if err := q.UpdateReportingSettings(ctx, db.UpdateReportingSettingsParams{TenantID: tenant, ReportRetention: db.Interval(r.Retention), Goaml: g}); err != nil {
			return err
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "preferences.reporting_updated", EntityType: "tenant",
			EntityID: tenant.String(), Before: before, After: r}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "config.changed", EntityType: "tenant", EntityID: tenant.String(),
			Payload: map[string]any{"change": "preferences.reporting_updated", "before": before, "after": r}})
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Reporting{}, err
		}
		return Reporting{}, fmt.Errorf("tenant: update reporting settings: %w", err)
	}
	return r, nil
}
