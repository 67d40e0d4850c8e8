// Package badinput is the bad-input battery's table: inputs a caller or HiBob can send, and the
// exact answer each gets from the HTTP API, the CLI and a sync. The tests of this package run
// the API and HiBob rows on the whole system; cmd/hibobsync's TestBadInputCLI runs the CLI rows.
// Markdown renders the table as the README's section "Bad input and what it gets", and a test
// checks that the README holds it verbatim.
//
// The messages are exact. The tests give the system fixed names (the company Tenant of Company,
// the unknown tenant Unknown), so that no message holds anything that changes between runs but
// the placeholders the HiBob rows name (a run, an employee, the simulator's URL).
package badinput

import (
	"fmt"
	"strings"
)

// The names the tests give the system.
const (
	// Company is the connected company the rows act on; its tenant is Tenant, active with
	// its employees stored, so that every refusal can be checked to lose nothing.
	Company = "Bad Input Co"
	Tenant  = "bad-input-co"
	// NewCompany is a company the connect rows try to connect (and must not create).
	NewCompany = "New Co"
	// Unknown is a tenant key no connection has.
	Unknown = "nobody-here"
	// ServiceUserID and Token are well-formed credentials for the rows that spoil another field.
	ServiceUserID = "SERVICE-12345"
	Token         = "tok-0123456789abcdef"
	// Reviewer approves and rejects.
	Reviewer = "sam@gifted"
)

// Key says which bearer key an API row sends.
type Key string

const (
	KeyBackend Key = "backend"
	KeySupport Key = "support"
	KeyNone    Key = "none"
	KeyWrong   Key = "wrong"
)

// HTTP is an API row: the request and the exact answer.
type HTTP struct {
	Method, Path string
	Key          Key
	Body         string // the request body sent
	Shown        string // the body as the README shows it, when Body is too long to show
	Status       int
	Field        string // the error body's field, "" when none
	Error        string // the error body's message, exact
}

// CLI is a CLI row: the verb's arguments, the credentials in the environment, and the exact
// exit status and last line of standard error.
type CLI struct {
	Args          []string
	Shown         string // the command as the README shows it, when Args are too long to show
	ServiceUserID string // HIBOB_SERVICE_USER_ID (connect)
	Token         string // HIBOB_TOKEN (connect)
	Exit          int
	Stderr        string
}

// Answer is what the simulated HiBob is made to answer during a sync.
type Answer string

const (
	AnswerHTML      Answer = "html"      // every people search: 200 text/html, the web app's page
	AnswerTruncated Answer = "truncated" // every people search: 200 JSON cut short
	AnswerNoID      Answer = "no-id"     // one employee of the fetch without root.id
	AnswerDuplicate Answer = "duplicate" // one employee of the fetch twice, the copy with another name
	AnswerBadDate   Answer = "bad-date"  // one employee's work.startDate 2023-02-30
	AnswerNumericID Answer = "number-id" // every employee ID a bare JSON number of 19 digits
)

// HiBob is a row of what HiBob answers during a sync of Tenant's connection (started with sync
// now once its initial sync stored everyone).
type HiBob struct {
	Answer Answer
	// Failing: HiBob keeps answering so; the fetch is retried and the sync cannot finish.
	Failing bool
	// Retried is the error the fetch activity is retried with (Failing rows), with
	// placeholders: <tenant>, <run>, <base URL>.
	Retried string
	// Rejection is the reason stored on the run for the refused row ("" when none is refused),
	// with the placeholder <id> for the employee's ID; RejectedID says whether the rejection
	// carries the employee's ID.
	Rejection  string
	RejectedID bool
	// Outcome is what happens, for the README.
	Outcome string
}

// Case is one bad input: through the API, the CLI or both, or from HiBob.
type Case struct {
	Name  string // as the README lists it; the tests' subtest name
	HTTP  *HTTP
	CLI   *CLI
	HiBob *HiBob
	// Bug is how the system falls short of the row, when it does: the row's test asserts what a
	// user should get and skips, with this, where the system does otherwise.
	Bug string
}

// HugeName is the 10,000-character company name.
var HugeName = strings.Repeat("a", 10000)

const keyHint = "send the header Authorization: Bearer <key> with the backend (HIBOBSYNC_BACKEND_API_KEY) or support (HIBOBSYNC_SUPPORT_API_KEY) API key"

func connectBody(company, id, token string) string {
	return fmt.Sprintf(`{"company":%q,"serviceUserId":%q,"token":%q}`, company, id, token)
}

// Cases is the battery, in the README's order.
var Cases = []Case{
	{
		Name: "Empty company name",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: connectBody("", ServiceUserID, Token),
			Status: 400, Field: "company", Error: "company is missing: send the company's name as the customer entered it in Gifted"},
		CLI: &CLI{Args: []string{"connect", "--company", ""}, ServiceUserID: ServiceUserID, Token: Token,
			Exit: 2, Stderr: "hibobsync connect: invalid company: --company: invalid company name: the company name is empty; enter the company's name as it appears in Bob"},
	},
	{
		Name: "Huge company name (10,000 characters)",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: connectBody(HugeName, ServiceUserID, Token),
			Shown:  connectBody("aaa…(10,000)", ServiceUserID, Token),
			Status: 400, Field: "company", Error: "invalid company name: the company name is 10000 characters long, at most 100 are allowed; correct company and send the request again"},
		CLI: &CLI{Args: []string{"connect", "--company", HugeName}, Shown: `connect --company "aaa…(10,000)"`, ServiceUserID: ServiceUserID, Token: Token,
			Exit: 2, Stderr: "hibobsync connect: invalid company: --company: invalid company name: the company name is 10000 characters long, at most 100 are allowed"},
	},
	{
		Name: `Company name only "Service User"`,
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: connectBody("Service User", ServiceUserID, Token),
			Status: 400, Field: "company", Error: `invalid company name: "Service User" is only the "Service User" suffix; enter the company's name followed by "Service User"; correct company and send the request again`},
		CLI: &CLI{Args: []string{"connect", "--company", "Service User"}, ServiceUserID: ServiceUserID, Token: Token,
			Exit: 2, Stderr: `hibobsync connect: invalid company: --company: invalid company name: "Service User" is only the "Service User" suffix; enter the company's name followed by "Service User"`},
	},
	{
		Name: "Malformed service user ID",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: connectBody(NewCompany, "12345", Token),
			Status: 400, Field: "serviceUserId", Error: `tenant new-co: invalid service user ID: "12345" is not one; service user IDs start with "SERVICE-" followed by digits, e.g. SERVICE-12345 (Bob: Settings → Integrations → Service users); correct serviceUserId and send the request again`},
		CLI: &CLI{Args: []string{"connect", "--company", NewCompany}, ServiceUserID: "12345", Token: Token,
			Exit: 2, Stderr: `hibobsync connect: invalid serviceUserId: HIBOB_SERVICE_USER_ID: invalid service user ID: "12345" is not one; service user IDs start with "SERVICE-" followed by digits, e.g. SERVICE-12345 (Bob: Settings → Integrations → Service users)`},
	},
	{
		Name: "Empty token",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: connectBody(NewCompany, ServiceUserID, ""),
			Status: 400, Field: "token", Error: "token is missing: send the HiBob service user's token"},
		CLI: &CLI{Args: []string{"connect", "--company", NewCompany}, ServiceUserID: ServiceUserID, Token: "",
			Exit: 2, Stderr: "hibobsync connect: invalid token: HIBOB_TOKEN: the token is empty; paste the service user's token (Bob shows it once, when the service user is created or its token reset)"},
	},
	{
		Name: "Token with whitespace",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: connectBody(NewCompany, ServiceUserID, "tok-0123 456789"),
			Status: 400, Field: "token", Error: "tenant new-co: the token contains a space or a line break (15 characters); paste it again as one piece, without spaces or new lines; correct token and send the request again"},
		CLI: &CLI{Args: []string{"connect", "--company", NewCompany}, ServiceUserID: ServiceUserID, Token: "tok-0123 456789",
			Exit: 2, Stderr: "hibobsync connect: invalid token: HIBOB_TOKEN: the token contains a space or a line break (15 characters); paste it again as one piece, without spaces or new lines"},
	},
	{
		Name: "Approve an unknown tenant",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections/" + Unknown + "/approve", Key: KeySupport, Body: `{"reviewer":"` + Reviewer + `"}`,
			Status: 404, Error: "there is no connection for tenant " + Unknown + ": check the key (GET /v1/connections lists the connections) or connect the company first with POST /v1/connections"},
		CLI: &CLI{Args: []string{"approve", Unknown, "--reviewer", Reviewer},
			Exit: 4, Stderr: "hibobsync approve: unknown tenant: " + Unknown + " has no connection (workflow not found for ID: hibob-tenant/" + Unknown + "); `hibobsync connections` lists the tenants"},
	},
	{
		Name: "Approve in the wrong phase (active)",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections/" + Tenant + "/approve", Key: KeySupport, Body: `{"reviewer":"` + Reviewer + `"}`,
			Status: 409, Error: "cannot approve tenant " + Tenant + ": it is active, and nothing awaits review; GET /v1/connections/" + Tenant + " says where it stands and what it waits for"},
		CLI: &CLI{Args: []string{"approve", Tenant, "--reviewer", Reviewer},
			Exit: 3, Stderr: "hibobsync approve: refused (phase active): cannot approve tenant " + Tenant + ": it is active, and nothing awaits review"},
	},
	{
		Name: "Reject without a reason",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections/" + Tenant + "/reject", Key: KeySupport, Body: `{"reviewer":"` + Reviewer + `"}`,
			Status: 400, Field: "reason", Error: "reason is missing: send a reason the customer can act on"},
		CLI: &CLI{Args: []string{"reject", Tenant, "--reviewer", Reviewer},
			Exit: 2, Stderr: "hibobsync reject: invalid reason: rejecting needs a reason the customer can act on"},
	},
	{
		Name: "Wrong API key",
		HTTP: &HTTP{Method: "GET", Path: "/v1/connections/" + Tenant, Key: KeyWrong,
			Status: 401, Error: "the API key is not valid: " + keyHint},
	},
	{
		Name: "Missing API key",
		HTTP: &HTTP{Method: "GET", Path: "/v1/connections/" + Tenant, Key: KeyNone,
			Status: 401, Error: "no API key: " + keyHint},
	},
	{
		Name: "Support key on a backend route",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections/" + Tenant + "/sync", Key: KeySupport,
			Status: 403, Error: "the support key may not POST /v1/connections/{tenant}/sync: it is for the backend role; use that role's key"},
	},
	{
		Name: "Oversized body (> 64 KiB)",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: connectBody(strings.Repeat("a", 70<<10), ServiceUserID, Token),
			Shown:  connectBody("aaa…(70 KiB)", ServiceUserID, Token),
			Status: 413, Error: "the request body is over the limit of 64 KiB; send only the fields the route takes (see /openapi.json)"},
	},
	{
		Name: "Malformed JSON",
		HTTP: &HTTP{Method: "POST", Path: "/v1/connections", Key: KeyBackend, Body: `{"company":"New Co","token"}`,
			Status: 400, Error: "the request body is not valid JSON (at byte 28); send one JSON object"},
	},
	{
		Name: "HiBob answers HTML instead of JSON",
		HiBob: &HiBob{Answer: AnswerHTML, Failing: true,
			Retried: `tenant "<tenant>": listing the employees of run <run>: hibob: POST /people/search: HiBob answered 200 with text/html instead of JSON: check the base URL (<base URL>) and the endpoint path`,
			Outcome: "the fetch is retried (5 s, 10 s, … 8 attempts); the stored employees are untouched meanwhile; the sync finishes once HiBob answers JSON again, and if it never does the cycle fails: `sync_failing`, the status's `lastError` quoting the error above"},
	},
	{
		Name: "HiBob answers truncated JSON",
		HiBob: &HiBob{Answer: AnswerTruncated, Failing: true,
			Retried: `tenant "<tenant>": listing the employees of run <run>: hibob: POST /people/search: the response is not valid JSON (<n> bytes, truncated or malformed)`,
			Outcome: "as for HTML: retried, stored employees untouched, the sync finishes once the answers are whole again, else `sync_failing` with the error in `lastError`"},
	},
	{
		Name: "HiBob returns an employee without an ID",
		HiBob: &HiBob{Answer: AnswerNoID, Rejection: "hibob: bad response: field root.id: the employee has no ID",
			Outcome: "the sync finishes; the row is rejected with this reason stored on the run (no employee ID), `lastSync.counts.rejected` 1; the stored employee is kept"},
	},
	{
		Name: "HiBob returns duplicate IDs",
		HiBob: &HiBob{Answer: AnswerDuplicate, RejectedID: true, Rejection: "HiBob returned employee ID <id> 2 times in one sync; kept the stored record unchanged",
			Outcome: "the sync finishes; both copies are rejected with this reason stored on the run, `lastSync.counts.rejected` 1; the stored employee is unchanged"},
	},
	{
		Name: "HiBob returns an impossible date (2023-02-30)",
		HiBob: &HiBob{Answer: AnswerBadDate, RejectedID: true, Rejection: "hibob: bad response: field work.startDate: is not a valid YYYY-MM-DD date",
			Outcome: "the sync finishes; the employee's row is rejected with this reason stored on the run (with the employee's ID), `lastSync.counts.rejected` 1; the stored employee is unchanged"},
	},
	{
		Name: "HiBob returns a 19-digit ID as a JSON number (overflows a float)",
		HiBob: &HiBob{Answer: AnswerNumericID,
			Outcome: "accepted: the ID is read by its digits, never through a float, so every employee keeps its exact ID; nothing is rejected, nothing changes"},
	},
}

// Markdown renders Cases as the README section, heading included.
func Markdown() string {
	var b strings.Builder
	b.WriteString("## Bad input and what it gets\n\n")
	b.WriteString("Generated from the table in `badinput/cases.go`; `go test ./badinput/ ./cmd/hibobsync/ -run BadInput` checks\n")
	b.WriteString("every row on the whole system (Temporal dev server, Postgres, the simulated HiBob, the worker, the\n")
	b.WriteString("API) and that this section is the table as rendered. After every row the system still serves (the API's\n")
	b.WriteString("`/healthz` and the tenant's status; `hibobsync status` after a CLI row) and no stored tenant, credentials\n")
	b.WriteString("or employee was lost or changed. A row marked **Known bug** asserts what a user should get and is skipped\n")
	b.WriteString("where the system does otherwise.\n\n")
	b.WriteString("### Through the API and the CLI\n\n")
	b.WriteString("The API's error body is `{\"error\": …, \"field\": …, \"tenant\": …, \"phase\": …, \"requestId\": …}`; the CLI\n")
	b.WriteString("prints its message on standard error (exit 2 invalid input, 3 wrong phase, 4 unknown tenant). The\n")
	fmt.Fprintf(&b, "tenant `%s` is active with its employees stored; `%s` has no connection.\n\n", Tenant, Unknown)
	b.WriteString("| Input | Request | Answer | CLI | CLI answer |\n|---|---|---|---|---|\n")
	for _, c := range Cases {
		if c.HiBob != nil {
			continue
		}
		h := c.HTTP
		req := fmt.Sprintf("%s %s (%s)", h.Method, h.Path, map[Key]string{
			KeyBackend: "backend key", KeySupport: "support key", KeyNone: "no key", KeyWrong: "a wrong key"}[h.Key])
		if body := or(h.Shown, h.Body); body != "" {
			req += " " + body
		}
		answer := fmt.Sprintf("%d", h.Status)
		if h.Field != "" {
			answer += fmt.Sprintf(", field `%s`", h.Field)
		}
		answer += ": " + code(h.Error)
		if c.Bug != "" {
			answer += " **Known bug:** " + c.Bug
		}
		cli, cliAnswer := "—", "—"
		if c.CLI != nil {
			cli = code(c.CLI.command())
			cliAnswer = fmt.Sprintf("exit %d: %s", c.CLI.Exit, code(c.CLI.Stderr))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(c.Name), cell(code(req)), cell(answer), cell(cli), cell(cliAnswer))
	}
	b.WriteString("\n### From HiBob, during a sync\n\n")
	b.WriteString("The simulated HiBob is made to answer badly to the people searches of a sync started with sync now,\n")
	b.WriteString("once the connection's initial sync stored everyone. A refused row must never fail the sync, nor cost a\n")
	b.WriteString("stored employee. `<tenant>`, `<run>`, `<id>`, `<n>` and `<base URL>` stand for the tenant, the run, the\n")
	b.WriteString("employee's ID, a byte count and the HiBob base URL. A sync that keeps getting HTML or truncated JSON is\n")
	b.WriteString("checked through to `sync_failing` only with `BADINPUT_FULL_RETRY=1` (about 7 minutes of retries);\n")
	b.WriteString("otherwise the rows stop the bad answers once the fetch has been retried, and check that the sync finishes.\n\n")
	b.WriteString("| HiBob answers | Error | What happens |\n|---|---|---|\n")
	for _, c := range Cases {
		if c.HiBob == nil {
			continue
		}
		h := c.HiBob
		msg := "—"
		switch {
		case h.Retried != "":
			msg = "retried with " + code(h.Retried)
		case h.Rejection != "":
			msg = "rejected: " + code(h.Rejection)
		}
		outcome := h.Outcome
		if c.Bug != "" {
			outcome += ". **Known bug:** " + c.Bug
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(c.Name), cell(msg), cell(outcome))
	}
	return b.String()
}

func (c *CLI) command() string {
	var env []string
	if c.Args[0] == "connect" {
		env = append(env, "HIBOB_SERVICE_USER_ID="+shellQuote(c.ServiceUserID), "HIBOB_TOKEN="+shellQuote(c.Token))
	}
	args := c.Shown
	if args == "" {
		quoted := make([]string, len(c.Args))
		for i, a := range c.Args {
			quoted[i] = shellQuote(a)
		}
		args = strings.Join(quoted, " ")
	}
	return strings.TrimSpace(strings.Join(env, " ") + " hibobsync " + args)
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'`$\\|&;<>()*?[]#~") {
		return s
	}
	return `"` + s + `"`
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// code is s as a Markdown code span, fenced with more backticks than s holds in a row.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// cell escapes what a table cell cannot hold.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
