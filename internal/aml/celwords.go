package aml

import (
	"regexp"
	"strings"
)

// plainWords rewrite the CEL parser's and checker's messages, written for
// people who know grammars ("mismatched input '<EOF>' expecting {...}"),
// in words an analyst can act on. The position stays with the issue; a
// message no rule knows keeps its text without the "Syntax error:" tag.
var plainWords = []struct {
	re    *regexp.Regexp
	words func(m []string) string
}{
	{regexp.MustCompile(`^Syntax error: mismatched input '<EOF>' expecting`), func([]string) string {
		return "the condition ends too early: a value or a name is missing at the end"
	}},
	{regexp.MustCompile(`^Syntax error: mismatched input '(.+?)' expecting <EOF>$`), func(m []string) string {
		return q(m[1]) + " is not expected here: the condition was complete before it; join conditions with && (and) or || (or)"
	}},
	{regexp.MustCompile(`^Syntax error: mismatched input '(.+?)' expecting`), func(m []string) string {
		return q(m[1]) + " is not expected here: a value or a name is missing before it"
	}},
	{regexp.MustCompile(`^Syntax error: extraneous input '(.+?)' expecting <EOF>$`), func(m []string) string {
		return q(m[1]) + " is one too many: the condition was complete before it"
	}},
	{regexp.MustCompile(`^Syntax error: extraneous input '(.+?)' expecting`), func(m []string) string {
		return q(m[1]) + " is not expected here: write a value or a name instead"
	}},
	{regexp.MustCompile(`^Syntax error: missing '(.+?)' at '<EOF>'$`), func(m []string) string {
		return "a closing " + q(m[1]) + " is missing at the end"
	}},
	{regexp.MustCompile(`^Syntax error: missing '(.+?)' at '(.+?)'$`), func(m []string) string {
		return "a " + q(m[1]) + " is missing before " + q(m[2])
	}},
	{regexp.MustCompile(`^Syntax error: token recognition error at: '(.+?)'$`), func(m []string) string {
		return q(m[1]) + " is not part of the condition language: use && (and), || (or), ! (not), == != < <= > >= and + - * /"
	}},
	{regexp.MustCompile(`^Syntax error: no viable alternative at input '(.+?)'$`), func(m []string) string {
		return "the condition cannot be read at " + q(m[1]) + ": check the brackets and the operators"
	}},
	{regexp.MustCompile(`^undeclared reference to '(.+?)' \(in container '.*'\)$`), func(m []string) string {
		return q(m[1]) + " is not a known name: check its spelling against the names listed with the editor"
	}},
	{regexp.MustCompile(`^found no matching overload for '_(.+?)_' applied to '\((.+?)\)'$`), func(m []string) string {
		return q(m[1]) + " cannot be used between " + kinds(m[2]) + ": compare values of the same kind (an amount with a number or dec(\"…\"), text with text)"
	}},
	{regexp.MustCompile(`^found no matching overload for '(.+?)' applied to '\((.*?)\)'$`), func(m []string) string {
		return q(m[1]) + " does not take " + kinds(m[2]) + ": see the functions listed with the editor"
	}},
}

func q(s string) string { return "“" + s + "”" }

// kinds writes "decimal, string" as "an amount and text".
func kinds(list string) string {
	var out []string
	for _, k := range strings.Split(list, ",") {
		switch k = strings.TrimSpace(k); k {
		case "decimal":
			out = append(out, "an amount")
		case "string":
			out = append(out, "text")
		case "int", "uint":
			out = append(out, "a number")
		case "double":
			out = append(out, `a floating-point number (write 1000 or dec("999.99") instead)`)
		case "bool":
			out = append(out, "true or false")
		case "":
			out = append(out, "nothing")
		default:
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, " and ")
}

// plainMessage is msg in the words above.
func plainMessage(msg string) string {
	for _, p := range plainWords {
		if m := p.re.FindStringSubmatch(msg); m != nil {
			return p.words(m)
		}
	}
	return strings.TrimPrefix(msg, "Syntax error: ")
}
