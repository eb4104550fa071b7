package order

import (
	"html/template"
	"net/http"
)

// mailboxPage lists the mailbox's messages, newest first, as a shopper's
// mail client would show them.
var mailboxPage = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mail · Shop</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}article{border:1px solid #ccd;border-radius:8px;padding:1rem;margin:1rem 0}pre{white-space:pre-wrap}</style>
</head><body>
<h1>Mail sent by the shop</h1>
<p>The emails to shoppers since this <code>make run</code> started (the last {{.Max}}), newest first. Set SMTP_HOST to send them to a real server.</p>
{{- range .Messages}}
<article data-testid="mail">
  <h2>{{.Mail.Subject}}</h2>
  <p>From {{.From}} to {{.Mail.To}}, {{.At.Format "2 Jan 2006 15:04:05"}}</p>
  <pre>{{.Mail.Body}}</pre>
</article>
{{- else}}
<p>No mail yet: place an order at the storefront.</p>
{{- end}}
</body></html>
`))

// Handler serves the mailbox's page.
func (b *Mailbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = mailboxPage.Execute(w, struct {
			Messages []Sent
			Max      int
		}{b.Messages(), mailboxSize})
	})
}
