package screening

import "strings"

// Publisher names the body that publishes a list, as customer apps read
// it in guide 004's listsChecked ("OFAC", "UN", "EU", …): the part of the
// source id before its first underscore for the publishers known here,
// the whole id otherwise. Senzing PEP sources (OS_US_CONGRESS) are PEP
// lists whatever their publisher, and read "PEP".
func Publisher(sourceID, kind string) string {
	if kind == KindPEP {
		return "PEP"
	}
	head, _, _ := strings.Cut(strings.ToUpper(sourceID), "_")
	switch head {
	case "OFAC", "UN", "EU", "UK", "HMT", "OFSI", "INTERPOL", "FATF", "BIS", "DFAT", "SECO":
		return head
	}
	return sourceID
}
