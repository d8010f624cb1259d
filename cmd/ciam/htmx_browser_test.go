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
