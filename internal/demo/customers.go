package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer"
)

// person is a demo customer.
type person struct {
	first, middle, last, dob, nationality, phone, city, street, postal, country, occupation, income string
	category                                                                                        bool
}

// demoCustomers are made up; their variety shows every risk level and
// several countries.
var demoCustomers = []person{
	{"Amelia", "", "Hughes", "1988-03-14", "GB", "+447911123456", "London", "12 Elm Row", "N1 7GU", "GB", "Teacher", "42000", false},
	{"Oliver", "James", "Bennett", "1979-11-02", "GB", "+447400123456", "Manchester", "4 Canal Street", "M1 3HE", "GB", "Nurse", "38000", false},
	{"Sofia", "", "García", "1992-07-21", "ES", "+34612345678", "Madrid", "Calle Mayor 10", "28013", "ES", "Architect", "61000", false},
	{"Lukas", "", "Schneider", "1985-01-30", "DE", "+4915123456789", "Berlin", "Torstraße 22", "10119", "DE", "Software Engineer", "88000", false},
	{"Chiara", "", "Rossi", "1990-09-09", "IT", "+393471234567", "Milan", "Via Dante 5", "20121", "IT", "Pharmacist", "52000", false},
	{"Mateo", "", "Fernández", "1983-05-17", "AR", "+5491123456789", "London", "88 Holloway Road", "N7 8JG", "GB", "Chef", "31000", false},
	{"Aisha", "", "Bello", "1987-12-01", "NG", "+2348031234567", "London", "21 Peckham High Street", "SE15 5EB", "GB", "Accountant", "58000", false},
	{"Wei", "", "Zhang", "1994-02-11", "CN", "+8613812345678", "Cambridge", "7 Mill Road", "CB1 2AD", "GB", "Research Scientist", "47000", false},
	{"Priya", "", "Sharma", "1991-06-25", "IN", "+919812345678", "Leicester", "33 Belgrave Gate", "LE1 3HJ", "GB", "Doctor", "96000", false},
	{"Jean", "Luc", "Moreau", "1976-08-19", "FR", "+33612345678", "Paris", "12 Rue Oberkampf", "75011", "FR", "Art Dealer", "410000", false},
	{"Anna", "", "Kowalska", "1989-04-04", "PL", "+48512345678", "Birmingham", "5 Broad Street", "B1 2HF", "GB", "Logistics Manager", "45000", false},
	{"Mehmet", "", "Yılmaz", "1981-10-13", "TR", "+905321234567", "London", "140 Green Lanes", "N16 9DP", "GB", "Car Dealer", "120000", false},
	{"Grace", "", "Okafor", "1996-01-27", "GB", "+447700123456", "Bristol", "9 Park Row", "BS1 5LJ", "GB", "Student", "", false},
	{"Hannah", "", "Müller", "1972-05-05", "DE", "+4917612345678", "Munich", "Leopoldstraße 40", "80802", "DE", "Member of Parliament", "150000", false},
	{"Diego", "", "Silva", "1986-03-03", "BR", "+5511912345678", "Lisbon", "Rua Augusta 100", "1100-053", "PT", "Crypto Trader", "300000", false},
	{"Fatima", "", "Haddad", "1984-09-18", "LB", "+96171123456", "London", "2 Edgware Road", "W2 2HH", "GB", "Jeweller", "87000", false},
	{"Tom", "", "O'Brien", "1968-12-24", "IE", "+353871234567", "Dublin", "14 Grafton Street", "D02 VX97", "IE", "Casino Manager", "99000", true},
	{"Yuki", "", "Tanaka", "1993-08-08", "JP", "+819012345678", "London", "30 Old Street", "EC1V 9HL", "GB", "Designer", "54000", false},
	{"Ahmed", "", "Khan", "1980-02-29", "PK", "+923001234567", "Bradford", "18 Leeds Road", "BD1 5AF", "GB", "Shop Owner", "64000", true},
	{"Elena", "", "Popescu", "1990-11-11", "RO", "+40721234567", "Leeds", "3 Briggate", "LS1 6HD", "GB", "Care Worker", "26000", false},
	// These two bear the names of people on the real lists the demo loads,
	// so that the screening queue has possible matches to decide: OFAC's
	// entry 4108 (spelt as a clerk might, with the listed date of birth)
	// and a member of the US Congress.
	{"Migel", "Angel", "Rodrigues Orejuela", "1943-11-23", "CO", "+573001234567", "London", "5 Kensington High Street", "W8 5NP", "GB", "Retired", "90000", false},
	{"Bernard", "", "Sanders", "1941-09-08", "US", "+12025550143", "London", "18 Grosvenor Square", "W1K 6LE", "GB", "Consultant", "110000", false},
}

// SeedCustomers registers the demo customers if the demo tenant has none,
// so that search, the 360 page and the queues have something to show.
func SeedCustomers(ctx context.Context, customers *customer.Service, d Data) (int, error) {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "demo seed", TenantID: d.Tenant.ID})
	page, err := customers.Search(ctx, d.Tenant.ID, customer.SearchFilter{Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("demo: customers: %w", err)
	}
	if page.Total > 0 {
		return 0, nil
	}
	n := 0
	for i, p := range demoCustomers {
		in := customer.RegisterInput{
			Email:    strings.ToLower(fmt.Sprintf("%s.%s@example.com", ascii(p.first), ascii(p.last))),
			Password: "Demo-Passw0rd!", MatchingPassword: "Demo-Passw0rd!",
			FirstName: p.first, MiddleName: p.middle, LastName: p.last, DateOfBirth: p.dob, Nationality: p.nationality,
			PhoneNumber: p.phone, Occupation: p.occupation, AnnualIncome: p.income, SourceOfFunds: "EMPLOYMENT",
			Address:        customer.Address{Street: p.street, City: p.city, PostalCode: p.postal, Country: p.country, AddressType: "RESIDENTIAL"},
			RegistrationIP: fmt.Sprintf("198.51.100.%d", 10+i),
		}
		if p.category {
			in.Categorization = &customer.CategorizationInput{ID: HighRiskCategoryID.String(), Relations: []customer.FeatureRelation{
				{FeatureID: EnhancedAMLFeatureID.String(), Enabled: true, Parameters: []customer.ParameterValue{
					{Name: "riskLevel", Value: "HIGH"}, {Name: "riskScore", Value: "80"}, {Name: "sanctionsCheck", Value: "ENHANCED"},
					{Name: "monitoring", Value: "DAILY"}, {Name: "edd", Value: "true"}}},
				{FeatureID: LimitsFeatureID.String(), Enabled: true, Parameters: []customer.ParameterValue{{Name: "dailyLimit", Value: "2500"}}},
			}}
		}
		reg, err := customers.Register(ctx, d.Tenant.ID, in)
		if err != nil {
			return n, fmt.Errorf("demo: customer %s %s: %w", p.first, p.last, err)
		}
		n++
		switch i {
		case 5:
			_, err = customers.ChangeStanding(ctx, d.Tenant.ID, reg.Customer.ID, customer.ActionLock, "Card reported stolen by the customer")
		case 12:
			_, err = customers.ChangeStanding(ctx, d.Tenant.ID, reg.Customer.ID, customer.ActionDeactivate, "Customer asked to pause the account while abroad")
		}
		if err != nil {
			return n, fmt.Errorf("demo: standing: %w", err)
		}
	}
	return n, nil
}

// ascii makes a name usable in an e-mail address.
func ascii(s string) string {
	r := strings.NewReplacer("í", "i", "á", "a", "é", "e", "ü", "u", "ı", "i", "'", "", " ", "")
	return r.Replace(s)
}
