package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/tenant"
)

// goAML is the UNODC's XML format for reports to financial intelligence
// units. A report names the reporting entity (rentity_id, from the
// tenant's preferences), its code (STR: a suspicious transaction report
// carrying the transaction; SAR: a suspicious activity report carrying the
// activity and the parties to it), the date, the local currency, the
// reporting person and the entity's location, the reason (the SAR draft's
// narrative) and the FIU's indicators. The elements follow the order of
// the goAML 4.0 schema (goamlschema.go holds the structure checked).

// Report codes.
const (
	GoAMLSTR = "STR"
	GoAMLSAR = "SAR"
)

// SARInput is what a goAML report of one alert's SAR draft is made of.
type SARInput struct {
	Code          string
	Entity        tenant.GoAMLEntity
	LocalCurrency string
	// Country is the tenant's country, for a counterparty of no known
	// country.
	Country  string
	AlertID  uuid.UUID
	Reason   string
	Action   string
	Customer GoAMLPerson
	// The transaction that raised the alert.
	TransactionRef string
	Description    string
	Direction      string // IN or OUT
	OccurredAt     time.Time
	Amount         decimal.Decimal
	Currency       string
	// LocalPerUnit is what one unit of Currency is worth in LocalCurrency
	// (1 when they are the same).
	LocalPerUnit        decimal.Decimal
	CounterpartyName    string
	CounterpartyCountry string
	CounterpartyAccount string
	SubmittedAt         time.Time
}

// GoAMLPerson is the customer as a goAML person.
type GoAMLPerson struct {
	FirstName, MiddleName, LastName string
	BirthDate                       time.Time
	BirthPlace                      string
	Nationality, Residence          string
	Phone, Email                    string
	Street, City, Postcode, State   string
	Country                         string
	Occupation, Employer            string
	SourceOfFunds                   string
}

type gPhone struct {
	ContactType string `xml:"tph_contact_type"`
	CommType    string `xml:"tph_communication_type"`
	Number      string `xml:"tph_number"`
}

type gAddress struct {
	Type    string `xml:"address_type"`
	Address string `xml:"address"`
	Town    string `xml:"town,omitempty"`
	City    string `xml:"city"`
	Zip     string `xml:"zip,omitempty"`
	Country string `xml:"country_code"`
	State   string `xml:"state,omitempty"`
}

type gPhones struct {
	Phone []gPhone `xml:"phone"`
}

type gAddresses struct {
	Address []gAddress `xml:"address"`
}

type gPerson struct {
	FirstName   string      `xml:"first_name"`
	MiddleName  string      `xml:"middle_name,omitempty"`
	LastName    string      `xml:"last_name"`
	BirthDate   string      `xml:"birthdate,omitempty"`
	BirthPlace  string      `xml:"birth_place,omitempty"`
	Nationality string      `xml:"nationality1,omitempty"`
	Residence   string      `xml:"residence,omitempty"`
	Phones      *gPhones    `xml:"phones,omitempty"`
	Addresses   *gAddresses `xml:"addresses,omitempty"`
	Email       string      `xml:"email,omitempty"`
	Occupation  string      `xml:"occupation,omitempty"`
	Employer    string      `xml:"employer_name,omitempty"`
	Wealth      string      `xml:"source_of_wealth,omitempty"`
}

type gEntity struct {
	Name    string `xml:"name"`
	Country string `xml:"incorporation_country_code,omitempty"`
}

type gForeign struct {
	Code   string `xml:"foreign_currency_code"`
	Amount string `xml:"foreign_amount"`
	Rate   string `xml:"foreign_exchange_rate"`
}

type gFrom struct {
	FundsCode string    `xml:"from_funds_code"`
	Foreign   *gForeign `xml:"from_foreign_currency,omitempty"`
	Person    *gPerson  `xml:"from_person,omitempty"`
	Entity    *gEntity  `xml:"from_entity,omitempty"`
	Country   string    `xml:"from_country"`
}

type gTo struct {
	FundsCode string    `xml:"to_funds_code"`
	Foreign   *gForeign `xml:"to_foreign_currency,omitempty"`
	Person    *gPerson  `xml:"to_person,omitempty"`
	Entity    *gEntity  `xml:"to_entity,omitempty"`
	Country   string    `xml:"to_country"`
}

type gTransaction struct {
	Number        string `xml:"transactionnumber"`
	InternalRef   string `xml:"internal_ref_number,omitempty"`
	Description   string `xml:"transaction_description,omitempty"`
	Date          string `xml:"date_transaction"`
	TransmodeCode string `xml:"transmode_code"`
	AmountLocal   string `xml:"amount_local"`
	FromMyClient  *gFrom `xml:"t_from_my_client,omitempty"`
	From          *gFrom `xml:"t_from,omitempty"`
	ToMyClient    *gTo   `xml:"t_to_my_client,omitempty"`
	To            *gTo   `xml:"t_to,omitempty"`
	Comments      string `xml:"comments,omitempty"`
}

type gParty struct {
	Person       *gPerson `xml:"person,omitempty"`
	Entity       *gEntity `xml:"entity,omitempty"`
	Significance int      `xml:"significance,omitempty"`
	Reason       string   `xml:"reason,omitempty"`
	Comments     string   `xml:"comments,omitempty"`
}

type gActivity struct {
	Parties struct {
		Party []gParty `xml:"report_party"`
	} `xml:"report_parties"`
}

type gReportingPerson struct {
	FirstName  string   `xml:"first_name"`
	LastName   string   `xml:"last_name"`
	Phones     *gPhones `xml:"phones,omitempty"`
	Email      string   `xml:"email,omitempty"`
	Occupation string   `xml:"occupation,omitempty"`
}

type gReport struct {
	XMLName         xml.Name          `xml:"report"`
	EntityID        string            `xml:"rentity_id"`
	Branch          string            `xml:"rentity_branch,omitempty"`
	SubmissionCode  string            `xml:"submission_code"`
	ReportCode      string            `xml:"report_code"`
	EntityReference string            `xml:"entity_reference,omitempty"`
	SubmissionDate  string            `xml:"submission_date"`
	CurrencyLocal   string            `xml:"currency_code_local"`
	ReportingPerson *gReportingPerson `xml:"reporting_person,omitempty"`
	Location        *gAddress         `xml:"location,omitempty"`
	Reason          string            `xml:"reason,omitempty"`
	Action          string            `xml:"action,omitempty"`
	Transaction     []gTransaction    `xml:"transaction,omitempty"`
	Activity        *gActivity        `xml:"activity,omitempty"`
	Indicators      struct {
		Indicator []string `xml:"indicator"`
	} `xml:"report_indicators"`
}

// goAML's date-time: local time without a zone.
const goamlTime = "2006-01-02T15:04:05"

func (p GoAMLPerson) goaml() *gPerson {
	out := &gPerson{FirstName: p.FirstName, MiddleName: p.MiddleName, LastName: p.LastName, BirthPlace: p.BirthPlace,
		Nationality: p.Nationality, Residence: p.Residence, Email: p.Email, Occupation: p.Occupation, Employer: p.Employer,
		Wealth: p.SourceOfFunds}
	if out.Residence == "" {
		out.Residence = p.Nationality
	}
	if !p.BirthDate.IsZero() {
		out.BirthDate = p.BirthDate.Format(goamlTime)
	}
	if p.Phone != "" {
		// Contact type and communication type are FIU lookups too; "P"
		// (private) and "M" (mobile) are the common codes.
		out.Phones = &gPhones{Phone: []gPhone{{ContactType: "P", CommType: "M", Number: p.Phone}}}
	}
	if p.Street != "" && p.City != "" && p.Country != "" {
		out.Addresses = &gAddresses{Address: []gAddress{{Type: "P", Address: p.Street, City: p.City, Zip: p.Postcode, Country: p.Country, State: p.State}}}
	}
	return out
}

// GoAML is in's report as goAML XML. Every problem that stops it names a
// field: the preferences' goAML fields, or code.
func GoAML(in SARInput) ([]byte, error) {
	var fe apperr.Fields
	if in.Code != GoAMLSTR && in.Code != GoAMLSAR {
		fe.Add("code", "choose STR (the transaction) or SAR (the activity)")
	}
	if !in.Entity.Configured() {
		fe.Add("goamlEntityId", "set the goAML reporting entity (its id, reporting person, address, codes and indicators) on the preferences page first")
	}
	if in.Reason == "" {
		fe.Add("narrative", "the SAR draft has no narrative")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	g := in.Entity
	rep := gReport{EntityID: g.EntityID, Branch: g.Branch, SubmissionCode: "E", ReportCode: in.Code, EntityReference: in.AlertID.String(),
		SubmissionDate: in.SubmittedAt.Format(goamlTime), CurrencyLocal: in.LocalCurrency, Reason: in.Reason, Action: in.Action,
		ReportingPerson: &gReportingPerson{FirstName: g.PersonFirstName, LastName: g.PersonLastName, Email: g.PersonEmail, Occupation: g.PersonRole},
		Location:        &gAddress{Type: "B", Address: g.Address, City: g.City, Zip: g.Postcode, Country: g.Country}}
	if g.PersonPhone != "" {
		rep.ReportingPerson.Phones = &gPhones{Phone: []gPhone{{ContactType: "B", CommType: "L", Number: g.PersonPhone}}}
	}
	rep.Indicators.Indicator = g.IndicatorList()
	cpCountry := in.CounterpartyCountry
	if cpCountry == "" {
		cpCountry = in.Country
	}
	cpName := strings.TrimSpace(in.CounterpartyName)
	if cpName == "" {
		cpName = "not named"
	}
	counterparty := &gEntity{Name: cpName, Country: in.CounterpartyCountry}
	residence := in.Customer.Residence
	if residence == "" {
		residence = in.Customer.Nationality
	}
	switch in.Code {
	case GoAMLSTR:
		local := in.Amount.Mul(in.LocalPerUnit).Round(2)
		var foreign *gForeign
		if in.Currency != in.LocalCurrency {
			foreign = &gForeign{Code: in.Currency, Amount: in.Amount.StringFixed(2), Rate: in.LocalPerUnit.String()}
		}
		tx := gTransaction{Number: in.TransactionRef, InternalRef: in.AlertID.String(), Description: in.Description,
			Date: in.OccurredAt.Format(goamlTime), TransmodeCode: g.TransmodeCode, AmountLocal: local.StringFixed(2)}
		if in.CounterpartyAccount != "" {
			tx.Comments = "Counterparty account " + in.CounterpartyAccount
		}
		if in.Direction == "IN" {
			tx.From = &gFrom{FundsCode: g.FundsCode, Foreign: foreign, Entity: counterparty, Country: cpCountry}
			tx.ToMyClient = &gTo{FundsCode: g.FundsCode, Foreign: foreign, Person: in.Customer.goaml(), Country: residence}
		} else {
			tx.FromMyClient = &gFrom{FundsCode: g.FundsCode, Foreign: foreign, Person: in.Customer.goaml(), Country: residence}
			tx.To = &gTo{FundsCode: g.FundsCode, Foreign: foreign, Entity: counterparty, Country: cpCountry}
		}
		rep.Transaction = []gTransaction{tx}
	case GoAMLSAR:
		act := &gActivity{}
		act.Parties.Party = []gParty{
			{Person: in.Customer.goaml(), Significance: 10, Reason: "The entity's customer whose activity is reported"},
			{Entity: counterparty, Significance: 5, Reason: "Counterparty of transaction " + in.TransactionRef},
		}
		rep.Activity = act
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return nil, fmt.Errorf("report: goaml: %w", err)
	}
	buf.WriteString("\n")
	// What leaves is checked against the schema's structure: a report
	// the FIU would refuse is an error here, not at the FIU.
	if err := CheckGoAML(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("report: goaml: %w", err)
	}
	return buf.Bytes(), nil
}

// ExportGoAML builds the goAML report of in and audits the export on the
// alert (with the report's code and SHA-256).
func (s *Service) ExportGoAML(ctx context.Context, tenantID uuid.UUID, in SARInput) ([]byte, error) {
	out, err := GoAML(in)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(out)
	err = db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{TenantID: tenantID, Action: "aml.alert.goaml_exported", EntityType: "aml_alert", EntityID: in.AlertID.String(),
			ReasonCode: "GOAML_" + in.Code, After: map[string]any{"reportCode": in.Code, "rentityId": in.Entity.EntityID, "bytes": len(out),
				"sha256": hex.EncodeToString(sum[:])}})
	})
	if err != nil {
		return nil, fmt.Errorf("report: goaml export: %w", err)
	}
	return out, nil
}
