package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ciamhq/ciam/internal/demo"
)

// In a real browser an htmx form disables its button while its request
// runs and enables it again when the answer came: the customer search,
// typed into, as an analyst.
func TestBrowserHTMXDisablesTheTriggerWhileItRuns(t *testing.T) {
	base := startProduct(t)
	ctx := newBrowser(t)
	analyst := demo.Load().Employees[0]
	do(t, ctx, chromedp.Navigate(base+"/customers"))
	do(t, ctx, signInAt(analyst.Login)...)
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("q")))
	// Record the button's state as the request leaves and after it ends.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		window.__busy = [];
		const form = document.querySelector('form[hx-get="/customers"]');
		const button = () => form.querySelector('button[type="submit"]');
		document.body.addEventListener('htmx:beforeSend', () => window.__busy.push({phase: 'sent', disabled: button().disabled,
			shown: document.querySelector('#search-indicator').classList.contains('htmx-request')}));
		document.body.addEventListener('htmx:afterSettle', () => setTimeout(() => window.__busy.push({phase: 'done', disabled: button().disabled}), 0));
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("q"), "a"))
	type step struct {
		Phase    string
		Disabled bool
		Shown    bool
	}
	var got []step
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		var err error
		if got, err = chromedp.Run(ctx, chromedp.Evaluate[[]step](`window.__busy`)); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) < 2 || got[0].Phase != "sent" || !got[0].Disabled || !got[0].Shown || got[len(got)-1].Phase != "done" || got[len(got)-1].Disabled {
		t.Fatalf("button and indicator during and after the search: %+v; want disabled and shown while it runs, enabled after", got)
	}
}

// The AML rule's condition check in a real browser: while the typed
// condition is being checked the progress shows beside the answer and the
// rule cannot be saved; when the answer came, saving is possible again.
func TestBrowserConditionCheckShowsProgressAndHoldsTheSave(t *testing.T) {
	base := startProduct(t)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/aml/rules/new"))
	do(t, ctx, signInAt("senior")...)
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("rule-kind")))
	// Built with an expression: the select swaps the condition's fields.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('rule-kind');
		s.value = 'expression'; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("rule-expression")))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		window.__check = [];
		const save = () => document.getElementById('save-rule');
		document.body.addEventListener('htmx:beforeSend', e => {
			if (e.detail.requestConfig.path !== '/aml/rules/check') return;
			window.__check.push({phase: 'sent', disabled: save().disabled, shown: document.getElementById('condition-busy').classList.contains('htmx-request')});
		});
		document.body.addEventListener('htmx:afterSettle', e => {
			if (!e.detail.requestConfig || e.detail.requestConfig.path !== '/aml/rules/check') return;
			setTimeout(() => window.__check.push({phase: 'done', disabled: save().disabled,
				answer: (document.querySelector('[data-testid="condition-check"]') || {}).textContent || ''}), 0);
		});
		document.getElementById('rule-expression').value = '';
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Focus(chromedp.ID("rule-expression")), chromedp.SendKeys(chromedp.ID("rule-expression"), "tx.amount > 100"))
	type step struct {
		Phase           string
		Disabled, Shown bool
		Answer          string
	}
	var got []step
	deadline := time.Now().Add(10 * time.Second)
	for (len(got) < 2 || got[len(got)-1].Phase != "done") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		var err error
		if got, err = chromedp.Run(ctx, chromedp.Evaluate[[]step](`window.__check`)); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) < 2 || got[0].Phase != "sent" || !got[0].Disabled || !got[0].Shown {
		t.Fatalf("while the check runs: %+v; want the save disabled and the progress shown", got)
	}
	if last := got[len(got)-1]; last.Phase != "done" || last.Disabled {
		t.Fatalf("after the check: %+v; want the save enabled again", got)
	}
}
