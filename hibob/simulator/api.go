// Package simulator is a fake HiBob public API (https://api.hibob.com/v1), written from the wire
// protocol described in docs/hibob-api.md and independent of the project's HiBob client, so that
// client tests against it check the client against the documented protocol, not against itself.
//
// A Server hosts companies (tenants) with generated employees and service users. The API lives under
// /v1; a JSON admin API for tests and demos lives under /_sim/ (see admin.go).
//
// Request pipeline for /v1 (order matters and is part of the contract tests rely on):
//
//	WAF (§6.3) → route (unknown → 200 HTML, §1.3) → Basic auth (401, empty body) → rate limit (429)
//	→ faults (latency, reset, 5xx, truncation) → handler
//
// Faults are injected only after authentication and rate limiting, so a faulted request has used
// its rate-limit budget, as a request that reached HiBob's backend and failed there would.
//
// Choices where docs/hibob-api.md is UNCONFIRMED, each kept in one place:
//   - service user IDs are "SERVICE-" + 5–6 digits (newServiceUserID);
//   - root.email needs the Email permission, not only Basic info (permitted);
//   - internal.status is "Active"/"Inactive"; internal.lifecycleStatus is lower-case
//     ("employed") with the capitalised label ("Employed") in humanReadable (lifecycleMachine);
//   - employees on leave are access-Inactive, future starters too until their start date
//     (accessStatus), so both drop out of searches without showInactive;
//   - rate-limit buckets are per service user and endpoint, fixed windows; no Retry-After
//     unless Options.SendRetryAfter;
//   - bulk pages hold up to limit employees with all their rows; next_cursor is the field name;
//     MISSING_PERMISSION errors come as one {"employeeId": {...}} item per page listing the IDs;
//   - a cursor may be used once (a page lost to a fault may be fetched again);
//   - humanReadable dates are DD/MM/YYYY and short dates DD/MM.
package simulator

import (
	"errors"
	"time"

	"hibobsync/model"
)

// Options configure a Server. The zero value models HiBob's documented behaviour.
type Options struct {
	Clock  func() time.Time // nil → time.Now; drives "today", isCurrent, rate windows, WAF windows
	Window time.Duration    // rate-limit window; 0 → time.Minute
	Limits map[Endpoint]int // requests per Window per service user per endpoint; nil → DefaultLimit for all; 0 = unlimited
	WAF    WAFOptions       // zero → HiBob's thresholds (§6.3)
	// SendRetryAfter adds a Retry-After header to 429s. HiBob sending it is UNCONFIRMED (§6.2), so
	// it is off by default: clients must work from X-RateLimit-Reset alone.
	SendRetryAfter bool
}

// DefaultLimit is the documented 50 requests per minute (§6.1), used for every endpoint unless
// Options.Limits says otherwise.
const DefaultLimit = 50

// Endpoint names one rate-limited API operation; the bucket of §6.1 ("per endpoint per minute").
type Endpoint string

const (
	EndpointFields         Endpoint = "GET /company/people/fields"
	EndpointSearch         Endpoint = "POST /people/search"
	EndpointReadOne        Endpoint = "POST /people/{identifier}"
	EndpointBulkLifecycle  Endpoint = "GET /bulk/people/lifecycle"
	EndpointBulkWork       Endpoint = "GET /bulk/people/work"
	EndpointBulkEmployment Endpoint = "GET /bulk/people/employment"
)

// Endpoints are all rate-limited endpoints.
var Endpoints = []Endpoint{EndpointFields, EndpointSearch, EndpointReadOne, EndpointBulkLifecycle, EndpointBulkWork, EndpointBulkEmployment}

// WAFOptions tune the authorization-based blocking of §6.3. The zero value is HiBob's (numbers
// UNCONFIRMED, from a secondary summary): 50 401s from one IP within 10 s block that IP for 5
// minutes; 50 401s, or 50 403s, with one Authorization header within 10 s block that header.
type WAFOptions struct {
	Disabled  bool
	Threshold int           // 0 → 50
	Window    time.Duration // 0 → 10 s
	BlockFor  time.Duration // 0 → 5 min
}

// Faults make the API misbehave like a real network and backend do. Rates are shares in [0,1] of
// the authenticated, in-budget /v1 requests.
type Faults struct {
	ErrorRate    float64       `json:"errorRate"`    // answered 500 (JSON), 502 or 503 (HTML, as from a gateway)
	Latency      time.Duration `json:"latency"`      // added before every /v1 answer
	TruncateRate float64       `json:"truncateRate"` // 200 bodies cut in the middle of the JSON
	ResetRate    float64       `json:"resetRate"`    // connections reset without any response
	Seed         int64         `json:"seed"`         // makes the choice of faulted requests repeatable
}

// ServiceUser is a HiBob service user's credentials (§1.2).
type ServiceUser struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// PermissionGroup is what the service user's permission group grants (§8.1).
type PermissionGroup struct {
	BasicInfo   bool                      `json:"basicInfo"`   // root category (names, displayName, …); root.id is always returned
	View        map[model.Permission]bool `json:"view"`        // "View selected employees' … sections"
	ViewHistory map[model.Permission]bool `json:"viewHistory"` // "View selected employees' … section histories"
	Audience    []model.LifecycleStatus   `json:"audience"`    // "Access data for": whose data the service user sees
	// HideFullBirthDate models the tenants of §8.3 where the full date of birth needs Edit on
	// Personal: personal.birthDate (and personal.age) are then omitted, personal.shortBirthDate stays.
	HideFullBirthDate bool `json:"hideFullBirthDate,omitempty"`
}

// FullAccess is everything Gifted's setup guide asks the customer to grant, with histories on
// every table, and all four lifecycle statuses in the audience.
func FullAccess() PermissionGroup {
	g := PermissionGroup{
		BasicInfo:   true,
		View:        map[model.Permission]bool{},
		ViewHistory: map[model.Permission]bool{},
		Audience:    append([]model.LifecycleStatus(nil), model.LifecycleStatuses...),
	}
	for _, p := range model.Permissions {
		g.View[p] = true
		g.ViewHistory[p] = true
	}
	return g
}

func (g PermissionGroup) clone() PermissionGroup {
	c := g
	c.View = make(map[model.Permission]bool, len(g.View))
	for k, v := range g.View {
		c.View[k] = v
	}
	c.ViewHistory = make(map[model.Permission]bool, len(g.ViewHistory))
	for k, v := range g.ViewHistory {
		c.ViewHistory[k] = v
	}
	c.Audience = append([]model.LifecycleStatus(nil), g.Audience...)
	return c
}

func (g PermissionGroup) inAudience(s model.LifecycleStatus) bool {
	for _, a := range g.Audience {
		if a == s {
			return true
		}
	}
	return false
}

// Errors returned by Company methods; the admin API maps the first two to 404.
var (
	ErrUnknownEmployee    = errors.New("unknown employee")
	ErrUnknownServiceUser = errors.New("unknown service user")
	ErrInvalid            = errors.New("invalid change")
)
