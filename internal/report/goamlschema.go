package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// CheckGoAML checks a goAML report against the structure of the goAML 4.0
// schema: the elements of each type it uses, which are required, how many
// may appear and in what order, and the form of the values that have one
// (ids, codes, dates, amounts, countries, currencies). The structure below
// is written from the published schema documentation's required elements
// (goAML Schema 4.0.x, "report" and the types it uses) by hand; it is not
// the XSD itself, which is not shipped, and it does not check the FIU's
// own lookup lists (transmode, funds, indicator codes), only their form.
// Elements of types not listed (accounts, conductors) are not looked into.
func CheckGoAML(doc []byte) error {
	root, err := parseTree(doc)
	if err != nil {
		return err
	}
	if root.name != "report" {
		return fmt.Errorf("goaml: the root is <%s>, want <report>", root.name)
	}
	if err := checkNode(root, "report", "report"); err != nil {
		return err
	}
	code := root.child("report_code")
	switch {
	case code == "STR" && root.find("transaction") == nil:
		return errors.New("goaml: an STR carries its transaction(s)")
	case code == "SAR" && root.find("activity") == nil:
		return errors.New("goaml: a SAR carries its activity")
	}
	return nil
}

// particle is one element of a type's sequence, or a choice between
// sequences (name empty).
type particle struct {
	name     string
	min, max int // max < 0: unbounded
	typ      string
	choice   [][]particle
}

func el(name string, min, max int, typ string) particle {
	return particle{name: name, min: min, max: max, typ: typ}
}
func req(name string) particle          { return el(name, 1, 1, "") }
func opt(name string) particle          { return el(name, 0, 1, "") }
func reqT(name, typ string) particle    { return el(name, 1, 1, typ) }
func optT(name, typ string) particle    { return el(name, 0, 1, typ) }
func oneOf(alts ...[]particle) particle { return particle{min: 1, max: 1, choice: alts} }
func seq(ps ...particle) []particle     { return ps }

func personType(myClient bool) []particle {
	mc := func(name string) particle {
		if myClient {
			return req(name)
		}
		return opt(name)
	}
	return seq(opt("gender"), opt("title"), req("first_name"), opt("middle_name"), opt("prefix"), req("last_name"),
		mc("birthdate"), opt("birth_place"), opt("mothers_name"), opt("alias"), opt("ssn"), opt("passport_number"),
		opt("passport_country"), opt("id_number"), mc("nationality1"), opt("nationality2"), opt("nationality3"), mc("residence"),
		optT("phones", "phones"), optT("addresses", "addresses"), el("email", 0, -1, ""), opt("occupation"), opt("employer_name"),
		optT("employer_address_id", "address"), optT("employer_phone_id", "phone"), el("identification", 0, -1, "any"),
		opt("deceased"), opt("date_deceased"), opt("tax_number"), opt("tax_reg_number"), opt("source_of_wealth"), opt("comments"))
}

var entityType = seq(req("name"), opt("commercial_name"), opt("incorporation_legal_form"), opt("incorporation_number"), opt("business"),
	optT("phones", "phones"), optT("addresses", "addresses"), opt("email"), opt("url"), opt("incorporation_state"),
	opt("incorporation_country_code"), el("director_id", 0, -1, "any"), opt("incorporation_date"), opt("business_closed"),
	opt("date_business_closed"), opt("tax_number"), opt("tax_reg_number"), opt("comments"))

func fromType(myClient bool) []particle {
	person := "person"
	if myClient {
		person = "person_my_client"
	}
	return seq(req("from_funds_code"), opt("from_funds_comment"), optT("from_foreign_currency", "foreign_currency"),
		optT("t_conductor", "any"),
		oneOf(seq(reqT("from_account", "any")), seq(reqT("from_person", person)), seq(reqT("from_entity", "entity"))),
		req("from_country"))
}

func toType(myClient bool) []particle {
	person := "person"
	if myClient {
		person = "person_my_client"
	}
	return seq(req("to_funds_code"), opt("to_funds_comment"), optT("to_foreign_currency", "foreign_currency"),
		oneOf(seq(reqT("to_account", "any")), seq(reqT("to_person", person)), seq(reqT("to_entity", "entity"))),
		req("to_country"))
}

var goamlTypes = map[string][]particle{
	"report": seq(req("rentity_id"), opt("rentity_branch"), req("submission_code"), req("report_code"), opt("entity_reference"),
		opt("fiu_ref_number"), req("submission_date"), req("currency_code_local"), optT("reporting_person", "reporting_person"),
		optT("location", "address"), opt("reason"), opt("action"),
		oneOf(seq(el("transaction", 1, -1, "transaction")), seq(reqT("activity", "activity"))),
		reqT("report_indicators", "report_indicators")),
	"report_indicators": seq(el("indicator", 1, -1, "")),
	"reporting_person":  personType(false),
	"person":            personType(false),
	"person_my_client":  personType(true),
	"entity":            entityType,
	"address": seq(req("address_type"), req("address"), opt("town"), req("city"), opt("zip"), req("country_code"),
		opt("state"), opt("comments")),
	"addresses": seq(el("address", 1, -1, "address")),
	"phone": seq(req("tph_contact_type"), req("tph_communication_type"), opt("tph_country_prefix"), req("tph_number"),
		opt("tph_extension"), opt("comments")),
	"phones":           seq(el("phone", 1, -1, "phone")),
	"foreign_currency": seq(req("foreign_currency_code"), req("foreign_amount"), req("foreign_exchange_rate")),
	"transaction": seq(req("transactionnumber"), opt("internal_ref_number"), opt("transaction_location"),
		opt("transaction_description"), req("date_transaction"), opt("teller"), opt("authorized"), opt("late_deposit"),
		opt("date_posting"), opt("value_date"), req("transmode_code"), opt("transmode_comment"), req("amount_local"),
		oneOf(
			seq(reqT("involved_parties", "any")),
			seq(oneOf(seq(reqT("t_from_my_client", "from_my_client")), seq(reqT("t_from", "from"))),
				oneOf(seq(reqT("t_to_my_client", "to_my_client")), seq(reqT("t_to", "to"))))),
		opt("goods_services"), opt("comments")),
	"from_my_client": fromType(true),
	"from":           fromType(false),
	"to_my_client":   toType(true),
	"to":             toType(false),
	"activity":       seq(reqT("report_parties", "report_parties"), optT("goods_services", "any")),
	"report_parties": seq(el("report_party", 1, -1, "report_party")),
	"report_party": seq(oneOf(seq(reqT("person", "person")), seq(reqT("account", "any")), seq(reqT("entity", "entity"))),
		opt("significance"), opt("reason"), opt("comments")),
}

var (
	goamlDateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
	goamlAmountRE   = regexp.MustCompile(`^\d{1,18}(\.\d{1,2})?$`)
	goamlCountryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	goamlCurrencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
)

// goamlValues are the forms of the values that have one, by element.
var goamlValues = map[string]func(string) bool{
	"rentity_id":            regexp.MustCompile(`^\d{1,10}$`).MatchString,
	"submission_code":       func(v string) bool { return v == "E" || v == "M" },
	"report_code":           func(v string) bool { return v == "STR" || v == "SAR" },
	"submission_date":       goamlDateRE.MatchString,
	"date_transaction":      goamlDateRE.MatchString,
	"birthdate":             goamlDateRE.MatchString,
	"currency_code_local":   goamlCurrencyRE.MatchString,
	"foreign_currency_code": goamlCurrencyRE.MatchString,
	"amount_local":          goamlAmountRE.MatchString,
	"foreign_amount":        goamlAmountRE.MatchString,
	"country_code":          goamlCountryRE.MatchString,
	"from_country":          goamlCountryRE.MatchString,
	"to_country":            goamlCountryRE.MatchString,
	"nationality1":          goamlCountryRE.MatchString,
	"residence":             goamlCountryRE.MatchString,
	"significance":          regexp.MustCompile(`^([0-9]|10)$`).MatchString,
	"first_name":            nonEmpty,
	"last_name":             nonEmpty,
	"transactionnumber":     nonEmpty,
	"transmode_code":        nonEmpty,
	"from_funds_code":       nonEmpty,
	"to_funds_code":         nonEmpty,
	"indicator":             nonEmpty,
	"name":                  nonEmpty,
	"address":               nonEmpty,
	"city":                  nonEmpty,
	"address_type":          nonEmpty,
	"tph_number":            nonEmpty,
}

func nonEmpty(v string) bool { return strings.TrimSpace(v) != "" }

type node struct {
	name     string
	text     string
	children []*node
}

func (n *node) child(name string) string {
	for _, c := range n.children {
		if c.name == name {
			return strings.TrimSpace(c.text)
		}
	}
	return ""
}

func (n *node) find(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func parseTree(doc []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("goaml: not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("goaml: empty document")
	}
	return root, nil
}

// checkNode checks n (an element at path) against type typ.
func checkNode(n *node, typ, path string) error {
	if typ == "" {
		if len(n.children) > 0 {
			return fmt.Errorf("goaml: %s holds a value, not elements", path)
		}
		if ok := goamlValues[n.name]; ok != nil && !ok(strings.TrimSpace(n.text)) {
			return fmt.Errorf("goaml: %s: %q is not a valid value", path, strings.TrimSpace(n.text))
		}
		return nil
	}
	if typ == "any" {
		return nil
	}
	ps, ok := goamlTypes[typ]
	if !ok {
		return fmt.Errorf("goaml: no type %s", typ)
	}
	rest, err := matchSeq(n.children, ps, path)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("goaml: %s: <%s> is not expected here (unknown, repeated or out of order)", path, rest[0].name)
	}
	return nil
}

// matchSeq matches the children against the sequence ps and returns the
// children left over.
func matchSeq(children []*node, ps []particle, path string) ([]*node, error) {
	for _, p := range ps {
		if p.choice != nil {
			matched := false
			for _, alt := range p.choice {
				if len(children) == 0 || !startsWith(alt, children[0].name) {
					continue
				}
				rest, err := matchSeq(children, alt, path)
				if err != nil {
					return nil, err
				}
				children, matched = rest, true
				break
			}
			if !matched && p.min > 0 {
				return nil, fmt.Errorf("goaml: %s: missing one of %s%s", path, strings.Join(firsts(p), ", "), found(children))
			}
			continue
		}
		count := 0
		for len(children) > 0 && children[0].name == p.name && (p.max < 0 || count < p.max) {
			if err := checkNode(children[0], p.typ, path+"/"+p.name); err != nil {
				return nil, err
			}
			children = children[1:]
			count++
		}
		if count < p.min {
			return nil, fmt.Errorf("goaml: %s: missing <%s>%s", path, p.name, found(children))
		}
	}
	return children, nil
}

// found says what came instead of what was missing.
func found(children []*node) string {
	if len(children) == 0 {
		return ""
	}
	return fmt.Sprintf(" (found <%s>)", children[0].name)
}

func startsWith(alt []particle, name string) bool {
	if len(alt) == 0 {
		return false
	}
	if alt[0].choice != nil {
		for _, a := range alt[0].choice {
			if startsWith(a, name) {
				return true
			}
		}
		return false
	}
	return alt[0].name == name
}

func firsts(p particle) []string {
	var out []string
	for _, a := range p.choice {
		if len(a) == 0 {
			continue
		}
		if a[0].choice != nil {
			out = append(out, firsts(a[0])...)
		} else {
			out = append(out, "<"+a[0].name+">")
		}
	}
	return out
}
