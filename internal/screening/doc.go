// Package screening screens names against sanctions and PEP lists.
//
// It owns the lists (OFAC SDN in its legacy CSV files, the UN consolidated
// XML, Senzing JSONL files such as PEP lists): loading them as versions,
// refusing malformed files, and computing what each version added, removed
// and changed. It matches names in memory with an index built from the
// current versions: names are normalised (with the spellings that
// romanisations of one letter disagree on, such as DZH and J, written one
// way), compared token by token with Jaro-Winkler and a phonetic key,
// words written together checked against the words they join, weighed by
// date of birth and country,
// and every match carries an explanation. It records hits on a tenant's
// customers, lets analysts confirm or dismiss them, and re-screens every
// active customer against the entries a new version added or changed.
//
// The lists are shared by all tenants; which lists a tenant screens
// against, its thresholds and its hits are the tenant's own.
package screening
