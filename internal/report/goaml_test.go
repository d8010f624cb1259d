package report

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/tenant"
)

func sarInput(code string) SARInput {
	return SARInput{Code: code, LocalCurrency: "EUR", Country: "DE", AlertID: uuid.New(), Reason: "Structured deposits under the threshold",
		Entity: tenant.GoAMLEntity{EntityID: "4711", Branch: "Berlin", PersonFirstName: "Mara", PersonLastName: "Lind", PersonEmail: "mlro@bank.example",
			PersonPhone: "+49 30 1234567", PersonRole: "MLRO", Address: "Unter den Linden 1", City: "Berlin", Postcode: "10117", Country: "DE",
			TransmodeCode: "A", FundsCode: "K", Indicators: "0001M, 1003"},
		Customer: GoAMLPerson{FirstName: "Jan", LastName: "Kowalski", BirthDate: time.Date(1980, 5, 1, 0, 0, 0, 0, time.UTC), Nationality: "PL",
			Residence: "DE", Phone: "+4915112345678", Email: "jan@example.com", Street: "Hauptstr. 5", City: "Berlin", Postcode: "10115", Country: "DE"},
		TransactionRef: "tx-1", Description: "TRANSFER OUT", Direction: "OUT", OccurredAt: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		Amount: decimal.RequireFromString("9900.50"), Currency: "USD", LocalPerUnit: decimal.RequireFromString("0.9"),
		CounterpartyName: "Shell Co", CounterpartyCountry: "CY", SubmittedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
}

func TestGoAMLReportsHaveEveryRequiredElementInOrder(t *testing.T) {
	for _, code := range []string{GoAMLSTR, GoAMLSAR} {
		t.Run(code, func(t *testing.T) {
			out, err := GoAML(sarInput(code))
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckGoAML(out); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			doc := string(out)
			order := []string{"<rentity_id>4711</rentity_id>", "<rentity_branch>Berlin</rentity_branch>", "<submission_code>E</submission_code>",
				"<report_code>" + code + "</report_code>", "<entity_reference>", "<submission_date>2026-12-01T09:00:00</submission_date>",
				"<currency_code_local>EUR</currency_code_local>", "<reporting_person>", "<location>", "<reason>Structured deposits",
				"<report_indicators>", "<indicator>0001M</indicator>", "<indicator>1003</indicator>"}
			at := 0
			for _, want := range order {
				i := strings.Index(doc[at:], want)
				if i < 0 {
					t.Fatalf("%s missing or out of order in\n%s", want, doc)
				}
				at += i
			}
			if code == GoAMLSTR {
				for _, want := range []string{"<t_from_my_client>", "<from_person>", "<t_to>", "<to_entity>", "<amount_local>8910.45</amount_local>",
					"<foreign_currency_code>USD</foreign_currency_code>"} {
					if !strings.Contains(doc, want) {
						t.Errorf("STR lacks %s", want)
					}
				}
			} else if !strings.Contains(doc, "<activity>") || !strings.Contains(doc, "<report_party>") || strings.Contains(doc, "<transaction>") {
				t.Errorf("SAR is not an activity report:\n%s", doc)
			}
		})
	}
}

func TestGoAMLIncomingTransactionTurnsTheCustomerIntoTheReceiver(t *testing.T) {
	in := sarInput(GoAMLSTR)
	in.Direction, in.Currency, in.LocalPerUnit = "IN", "EUR", decimal.NewFromInt(1)
	out, err := GoAML(in)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(out)
	if !strings.Contains(doc, "<t_from>") || !strings.Contains(doc, "<t_to_my_client>") || strings.Contains(doc, "foreign_currency") {
		t.Errorf("incoming STR:\n%s", doc)
	}
}

func TestCheckGoAMLRefusesBrokenStructure(t *testing.T) {
	good, err := GoAML(sarInput(GoAMLSTR))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(good)
	cases := []struct{ name, from, to, want string }{
		{"no rentity_id", "<rentity_id>4711</rentity_id>", "", "missing <rentity_id>"},
		{"out of order", "<submission_code>E</submission_code>\n  <report_code>STR</report_code>", "<report_code>STR</report_code>\n  <submission_code>E</submission_code>", "missing <submission_code>"},
		{"bad date", "<submission_date>2026-12-01T09:00:00</submission_date>", "<submission_date>1 Dec 2026</submission_date>", "submission_date"},
		{"no indicators", "<indicator>0001M</indicator>", "", ""},
		{"unknown element", "<reason>", "<mood>calm</mood>\n  <reason>", "<mood>"},
		{"no sender", "<t_from_my_client>", "<t_from_nobody>", "t_from"},
		{"customer without birthdate", "<birthdate>1980-05-01T00:00:00</birthdate>", "", "missing <birthdate>"},
		{"bad report code", "<report_code>STR</report_code>", "<report_code>XYZ</report_code>", "report_code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(doc, tc.from, tc.to, 1)
			if tc.name == "no indicators" {
				bad = strings.Replace(strings.Replace(bad, "<indicator>0001M</indicator>", "", 1), "<indicator>1003</indicator>", "", 1)
				tc.want = "missing <indicator>"
			}
			if bad == doc {
				t.Fatal("the case changed nothing")
			}
			err := CheckGoAML([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestGoAMLNeedsTheReportingEntity(t *testing.T) {
	in := sarInput(GoAMLSTR)
	in.Entity.EntityID = ""
	_, err := GoAML(in)
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid || e.Fields[0].Field != "goamlEntityId" {
		t.Fatalf("got %v, want a field error on goamlEntityId", err)
	}
}
