package aml

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/uuid"
)

// Compiler checks conditions and keeps the compiled programs of rule
// versions, which never change once proposed or published.
type Compiler struct {
	env *cel.Env

	mu    sync.Mutex
	cache map[string]*Compiled
}

// NewCompiler builds the condition language.
func NewCompiler() (*Compiler, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("aml: condition language: %w", err)
	}
	return &Compiler{env: env, cache: map[string]*Compiled{}}, nil
}

// Check compiles a condition and returns its problems, each at its
// position; nil when it is fine.
func (c *Compiler) Check(expr string) Issues {
	_, iss := compile(c.env, expr)
	return iss
}

// compiled is the program of a condition, from the cache when the same
// condition was compiled before.
func (c *Compiler) compiled(expr string) (*Compiled, Issues) {
	c.mu.Lock()
	p, ok := c.cache[expr]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, iss := compile(c.env, expr)
	if len(iss) > 0 {
		return nil, iss
	}
	c.mu.Lock()
	if len(c.cache) > 10_000 { // conditions are few; this only bounds a leak
		c.cache = map[string]*Compiled{}
	}
	c.cache[expr] = p
	c.mu.Unlock()
	return p, nil
}

// ActiveRule is a rule version screening uses.
type ActiveRule struct {
	ID      uuid.UUID
	Version int
	Def     Definition

	prog *Compiled
	// compileErr is set when an active version no longer compiles: it then
	// fails at every screening, reported, rather than vanish unnoticed.
	compileErr string
}

// RuleSet is everything screening needs of a tenant's configuration: the
// active rules compiled, the rates and the custom lists. It is immutable
// and shared by concurrent screenings.
type RuleSet struct {
	Revision int64
	Rules    []*ActiveRule
	Rates    Rates
	Lists    Lists

	window, cpWindow time.Duration
	// withLimits applies the customers' limits from activation (live
	// screening does; a shadow run of one rule does not).
	withLimits bool
}

// Window is the longest window of a customer's history any rule reads.
func (rs *RuleSet) Window() time.Duration { return rs.window }

// NewRuleSet compiles rules into a rule set.
func (c *Compiler) NewRuleSet(revision int64, rules []ActiveRule, rates Rates, lists Lists) *RuleSet {
	rs := &RuleSet{Revision: revision, Rates: rates, Lists: lists}
	for _, r := range rules {
		r := r
		p, iss := c.compiled(r.Def.Expression)
		if len(iss) > 0 {
			r.compileErr = "the condition does not compile: " + iss.Error()
		} else {
			r.prog = p
			rs.window = max(rs.window, p.window)
			rs.cpWindow = max(rs.cpWindow, p.cpWindow)
		}
		rs.Rules = append(rs.Rules, &r)
	}
	return rs
}

// List is a custom list, ready for matching.
type List struct {
	Name     string
	names    map[string]string // normalised → as entered
	accounts map[string]string
}

// ListEntry is one name or account of a list.
type ListEntry struct {
	List  string
	Kind  string // NAME or ACCOUNT
	Value string
}

// Lists are a tenant's custom lists.
type Lists struct {
	byName map[string]*List
	order  []*List
}

// NewLists indexes entries by list.
func NewLists(names []string, entries []ListEntry) Lists {
	ls := Lists{byName: map[string]*List{}}
	get := func(name string) *List {
		k := strings.ToLower(name)
		l, ok := ls.byName[k]
		if !ok {
			l = &List{Name: name, names: map[string]string{}, accounts: map[string]string{}}
			ls.byName[k] = l
			ls.order = append(ls.order, l)
		}
		return l
	}
	for _, n := range names {
		get(n)
	}
	for _, e := range entries {
		l := get(e.List)
		if e.Kind == "ACCOUNT" {
			l.accounts[NormalizeAccount(e.Value)] = e.Value
		} else {
			l.names[NormalizeName(e.Value)] = e.Value
		}
	}
	return ls
}

func (ls Lists) get(name string) (*List, bool) {
	l, ok := ls.byName[strings.ToLower(name)]
	return l, ok
}

func (ls Lists) all() []*List { return ls.order }

// match reports whether the counterparty's account or name is on l, and
// the entry that matched.
func (l *List) match(cp Counterparty) (string, bool) {
	if a := NormalizeAccount(cp.Account); a != "" {
		if v, ok := l.accounts[a]; ok {
			return "account " + v, true
		}
	}
	if n := NormalizeName(cp.Name); n != "" {
		if v, ok := l.names[n]; ok {
			return "name " + v, true
		}
	}
	return "", false
}
