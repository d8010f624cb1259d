// Package evidence reads identity documents, selfies and proofs of address
// from their bytes and says what the bytes show, never what the caller
// declares: the file's real format and whether it is safe to open (pixel
// budget, complete decoding, no data after the end marker, no JavaScript,
// launch actions or embedded files in PDFs), the image's quality figures,
// the text OCR reads (Tesseract, with a bounded time per page and a bounded
// number of runs at once), the machine-readable zone of passports and ID
// cards with every check digit, the labelled fields of documents without
// one, and the holder, address and date of a bill or statement.
//
// It knows nothing of customers, tenants, storage or HTTP. Judge refuses a
// file with an *Error whose Code the caller maps to its own answer;
// everything else is figures and findings (Signal) for the checks to weigh.
// OCR and PDF rendering run the tesseract and poppler commands; when they
// are missing NewReader says so with ErrToolMissing and the caller must
// treat the document as not checked.
package evidence

import (
	"errors"
	"fmt"
)

// Code is the machine-readable reason a document is refused. The values are
// those of the customer API.
type Code string

// The codes a refusal carries.
const (
	// CodeInvalidFormat: the bytes are not a safe, complete JPEG, PNG or PDF.
	CodeInvalidFormat Code = "INVALID_DOCUMENT_FORMAT"
	// CodePoorQuality: the image is genuine but too poor to read.
	CodePoorQuality Code = "POOR_IMAGE_QUALITY"
)

// Error is a refused document: a Code for the API, a Reason naming the rule
// that refused it (for logs, tests and reviewers) and a message a person can
// read.
type Error struct {
	Code    Code
	Reason  string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("evidence: %s (%s): %s", e.Code, e.Reason, e.Message)
}

// Reasons an *Error gives.
const (
	ReasonUnknownFormat   = "UNKNOWN_FORMAT"
	ReasonPixelBudget     = "PIXEL_BUDGET"
	ReasonUndecodable     = "UNDECODABLE"
	ReasonTruncated       = "TRUNCATED"
	ReasonTrailingData    = "TRAILING_DATA"
	ReasonMarkup          = "MARKUP_IN_METADATA"
	ReasonPDFStructure    = "PDF_STRUCTURE"
	ReasonPDFJavaScript   = "PDF_JAVASCRIPT"
	ReasonPDFLaunch       = "PDF_LAUNCH_ACTION"
	ReasonPDFEmbeddedFile = "PDF_EMBEDDED_FILE"
	ReasonPDFRichMedia    = "PDF_RICH_MEDIA"
)

func refuse(code Code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ErrToolMissing is wrapped by errors that come from a missing command
// (tesseract, pdfinfo, ...). The document was not read: the caller says
// NOT_CHECKED and never passes it.
var ErrToolMissing = errors.New("evidence: OCR or PDF tool missing")

// Signal is a finding a reviewer should see that does not on its own refuse
// the document, such as the name of an image editor in its metadata.
type Signal struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// The signals the package raises.
const (
	// SignalEditedWithSoftware: EXIF, XMP, PNG text or the PDF's producer
	// or creator names an image or PDF editor.
	SignalEditedWithSoftware = "EDITED_WITH_SOFTWARE"
	// SignalPDFModified: the PDF was saved again after it was made
	// (incremental updates or a modification date after the creation date).
	SignalPDFModified = "PDF_MODIFIED"
	// SignalPDFEncrypted: the PDF is encrypted, so its streams could only be
	// inspected through poppler.
	SignalPDFEncrypted = "PDF_ENCRYPTED"
	// SignalMRZCheckDigit: a check digit of the MRZ does not agree with its
	// field.
	SignalMRZCheckDigit = "MRZ_CHECK_DIGIT"
	// SignalTrailingPadding: a JPEG has padding bytes after its end marker.
	SignalTrailingPadding = "TRAILING_PADDING"
)

// Kind is what a document is meant to be; it chooses which figures and
// fields apply.
type Kind string

// The kinds of document.
const (
	KindPassport       Kind = "PASSPORT"
	KindIDCard         Kind = "ID_CARD"
	KindDriverLicence  Kind = "DRIVER_LICENCE"
	KindProofOfAddress Kind = "PROOF_OF_ADDRESS"
	KindSelfie         Kind = "SELFIE"
)

// hasMRZ says whether documents of this kind carry a machine-readable zone.
func (k Kind) hasMRZ() bool { return k == KindPassport || k == KindIDCard }
