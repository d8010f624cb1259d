package report

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// sheet writes an extract's rows as they come.
type sheet interface {
	Row(vals []string) error
	// Close writes what is left; the writer is done with.
	Close() error
}

func newSheet(format string, w io.Writer, cols []column) (sheet, error) {
	switch format {
	case CSV:
		return newCSVSheet(w, cols)
	case XLSX:
		return newXLSXSheet(w, cols)
	}
	return nil, fmt.Errorf("report: no format %q", format)
}

type csvSheet struct {
	w    *csv.Writer
	cols []column
	buf  []string
}

func newCSVSheet(w io.Writer, cols []column) (*csvSheet, error) {
	s := &csvSheet{w: csv.NewWriter(w), cols: cols, buf: make([]string, len(cols))}
	for i, c := range cols {
		s.buf[i] = c.header
	}
	return s, s.w.Write(s.buf)
}

// plainNumber is a value that starts like a formula but is only a number
// or a phone number (+44 20 7946 0000): nothing a spreadsheet would run.
var plainNumber = regexp.MustCompile(`^[+-]?[0-9][0-9 .()-]*$`)

// Row writes vals; a text value a spreadsheet would take for a formula
// (=, +, -, @, tab, carriage return first) is written with a leading
// apostrophe, so that what a customer or an employee typed cannot run in
// the reader's spreadsheet (CSV injection).
func (s *csvSheet) Row(vals []string) error {
	for i, v := range vals {
		if !s.cols[i].number && v != "" {
			switch v[0] {
			case '=', '+', '-', '@', '\t', '\r':
				if !plainNumber.MatchString(v) {
					v = "'" + v
				}
			}
		}
		s.buf[i] = v
	}
	return s.w.Write(s.buf)
}

func (s *csvSheet) Close() error {
	s.w.Flush()
	return s.w.Error()
}

// maxSheetRows is how many rows an XLSX worksheet holds (the header
// included); an extract with more goes on to a second sheet.
const maxSheetRows = 1 << 20

// xlsxSheet writes with excelize's streaming writer, which keeps at most
// its chunk (16 MiB) of a sheet's XML in memory and the rest in a
// temporary file; the workbook is written out to w on Close.
type xlsxSheet struct {
	f     *excelize.File
	sw    *excelize.StreamWriter
	w     io.Writer
	cols  []column
	row   int
	sheet int
	vals  []any
}

func newXLSXSheet(w io.Writer, cols []column) (*xlsxSheet, error) {
	s := &xlsxSheet{f: excelize.NewFile(), w: w, cols: cols, vals: make([]any, len(cols))}
	if err := s.nextSheet(); err != nil {
		s.f.Close()
		return nil, err
	}
	return s, nil
}

func (s *xlsxSheet) nextSheet() error {
	s.sheet++
	name := "Sheet1"
	if s.sheet > 1 {
		if err := s.sw.Flush(); err != nil {
			return err
		}
		name = "Sheet" + strconv.Itoa(s.sheet)
		if _, err := s.f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := s.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	s.sw, s.row = sw, 1
	for i, c := range s.cols {
		s.vals[i] = c.header
	}
	if err := s.sw.SetRow("A1", s.vals); err != nil {
		return err
	}
	return nil
}

func (s *xlsxSheet) Row(vals []string) error {
	if s.row == maxSheetRows {
		if err := s.nextSheet(); err != nil {
			return err
		}
	}
	s.row++
	for i, v := range vals {
		s.vals[i] = v
		if s.cols[i].number && v != "" {
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				s.vals[i] = n
			}
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, s.vals)
}

// Close writes the workbook. excelize's Write builds the whole archive in
// a buffer before copying it out; its zip writer is replaced by one that
// writes straight to s.w, so the archive streams from the temporary file
// and the buffer stays empty. (A sheet over 4 GiB of XML would need
// excelize's zip64 header fix, which works on that buffer: an extract
// stays far below it.)
func (s *xlsxSheet) Close() error {
	defer s.f.Close()
	if err := s.sw.Flush(); err != nil {
		return err
	}
	s.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(s.w) })
	return s.f.Write(io.Discard)
}
