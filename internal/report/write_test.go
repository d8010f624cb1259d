package report

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

func TestCSVCellsThatWouldRunAsFormulasAreDefused(t *testing.T) {
	cols := []column{{key: "a", header: "Text"}, {key: "n", header: "Amount", number: true}}
	var buf bytes.Buffer
	s, err := newSheet(CSV, &buf, cols)
	if err != nil {
		t.Fatal(err)
	}
	in := [][]string{
		{`=HYPERLINK("http://evil.example","x")`, "-12.5"},
		{"+cmd|' /C calc'!A0", "3"},
		{"@SUM(A1:A2)", "1"},
		{"+44 20 7946 0000", "2"},
		{"-5", "0"},
		{"plain, with comma", "4"},
	}
	for _, r := range in {
		if err := s.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Text", "Amount"},
		{`'=HYPERLINK("http://evil.example","x")`, "-12.5"},
		{"'+cmd|' /C calc'!A0", "3"},
		{"'@SUM(A1:A2)", "1"},
		{"+44 20 7946 0000", "2"},
		{"-5", "0"},
		{"plain, with comma", "4"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestXLSXWritesTextAsTextAndNumbersAsNumbers(t *testing.T) {
	cols := []column{{key: "a", header: "Text"}, {key: "n", header: "Amount", number: true}}
	var buf bytes.Buffer
	s, err := newSheet(XLSX, &buf, cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]string{{"=1+1", "12.50"}, {"Zoë", ""}} {
		if err := s.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if formula, _ := f.GetCellFormula("Sheet1", "A2"); formula != "" {
		t.Errorf("a text cell became the formula %q", formula)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([][]string{{"Text", "Amount"}, {"=1+1", "12.5"}, {"Zoë"}}, rows); d != "" {
		t.Error(d)
	}
	if typ, _ := f.GetCellType("Sheet1", "B2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("amount cell type %v", typ)
	}
}
