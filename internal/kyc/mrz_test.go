package kyc

import "testing"

// ICAO 9303 part 4's specimen passport.
const specimen = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"

func TestParseTD3Specimen(t *testing.T) {
	m, ok := ParseTD3(specimen)
	if !ok || !m.Valid {
		t.Fatalf("specimen: ok=%v %+v", ok, m)
	}
	if m.Surname != "ERIKSSON" || m.GivenNames != "ANNA MARIA" || m.DocumentNumber != "L898902C3" || m.Nationality != "UTO" ||
		m.DateOfBirth.Format("2006-01-02") != "1974-08-12" || m.Expiry.Format("2006-01-02") != "2012-04-15" {
		t.Fatalf("parsed %+v", m)
	}
}

func TestParseTD3CatchesEachBrokenDigit(t *testing.T) {
	line2 := []byte("L898902C36UTO7408122F1204159ZE184226B<<<<<10")
	for _, tc := range []struct {
		pos   int
		field string
	}{{9, "documentNumber"}, {19, "dateOfBirth"}, {27, "expiryDate"}, {43, "composite"}} {
		b := append([]byte(nil), line2...)
		b[tc.pos] = '0' + (b[tc.pos]-'0'+1)%10
		m, ok := ParseTD3("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" + string(b))
		if !ok || m.Valid || m.Failed[0] != tc.field {
			t.Errorf("digit %d altered: %+v; want %s to fail", tc.pos, m, tc.field)
		}
	}
	if _, ok := ParseTD3("not an mrz"); ok {
		t.Error("garbage parsed")
	}
}

func TestNameMatchTransliterationAndOrder(t *testing.T) {
	tests := []struct {
		doc, first, middle, last string
		both                     bool
	}{
		{"MUELLER HANS", "Hans", "", "Müller", true},
		{"HANS MULLER", "Hans", "", "Müller", true},
		{"SOEREN KIERKEGAARD", "Søren", "", "Kierkegaard", true},
		{"DOE JOHN ROBERT", "John", "Robert", "Doe", true},
		{"ANNA MARIA ERIKSSON", "Anna", "", "Eriksson", true},
		{"JANE ROE", "John", "", "Doe", false},
		{"JOHN SMITH", "John", "", "Doe", false},
	}
	for _, tc := range tests {
		if _, both := NameMatch(tc.doc, tc.first, tc.middle, tc.last); both != tc.both {
			t.Errorf("NameMatch(%q, %s %s %s) = %v; want %v", tc.doc, tc.first, tc.middle, tc.last, both, tc.both)
		}
	}
}
