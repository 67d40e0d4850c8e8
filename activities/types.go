package activities

import (
	"time"

	"hibobsync/hibob"
	"hibobsync/model"
	"hibobsync/store"
)

// TaskQueue is where tenant workflows and their activities run.
const TaskQueue = "hibob-sync"

// ApplicationError types the workflow branches on. They are non-retryable: retrying a 401 or
// 403 gets every tenant's egress IP blocked by HiBob's WAF, and bad configuration does not heal.
const (
	ErrCredentialsInvalid   = "CredentialsInvalid"   // HiBob answered 401
	ErrPermissionsMissing   = "PermissionsMissing"   // HiBob answered 403
	ErrInvalidConfiguration = "InvalidConfiguration" // no stored credentials, a secret key that cannot open them
	ErrStagingIncomplete    = "StagingIncomplete"    // Postgres lost the run's staging: fetch again
)

// CredentialsRef names stored credentials; the token itself never travels through Temporal.
type CredentialsRef struct {
	Tenant  model.TenantKey `json:"tenant"`
	Version int             `json:"version"`
}

// AuditResult is the permission audit: counts and findings, no employee data.
type AuditResult struct {
	Audit   hibob.Audit        `json:"audit"`
	Passes  bool               `json:"passes"`
	Missing []model.Permission `json:"missing,omitempty"`
}

type StartRunInput struct {
	Tenant     model.TenantKey `json:"tenant"`
	RequestKey string          `json:"requestKey"` // the same key finds the same run on retry
	Kind       store.RunKind   `json:"kind"`
	AsOf       model.Date      `json:"asOf"`
}

type StartRunResult struct {
	RunID int64 `json:"runId"`
}

// A zero ResumeAt in a result means done or progressing; a set one means HiBob's rate limit
// is spent until then, and the workflow should wait (durably) and call again from where the
// result says.

type ListInput struct {
	Credentials CredentialsRef `json:"credentials"`
	RunID       int64          `json:"runId"`
}

type ListResult struct {
	Employees int       `json:"employees"`
	Batches   int       `json:"batches"`
	Rejected  int       `json:"rejected"`
	ResumeAt  time.Time `json:"resumeAt,omitzero"`
}

// FetchInput asks for batches [From, To) of the run's listing.
type FetchInput struct {
	Credentials CredentialsRef `json:"credentials"`
	RunID       int64          `json:"runId"`
	From        int            `json:"from"`
	To          int            `json:"to"`
	Batches     int            `json:"batches"` // the run's total, for summaries
}

type FetchResult struct {
	Next     int       `json:"next"` // the first batch not yet fetched; == To when done
	Fetched  int       `json:"fetched"`
	Rejected int       `json:"rejected"`
	ResumeAt time.Time `json:"resumeAt,omitzero"`
}

type HistoryInput struct {
	Credentials CredentialsRef     `json:"credentials"`
	RunID       int64              `json:"runId"`
	Table       model.HistoryTable `json:"table"`
	Cursor      string             `json:"cursor,omitempty"` // "" with Seq 0: the first page
	Seq         int                `json:"seq"`              // the next page's number
}

type HistoryResult struct {
	Cursor   string    `json:"cursor,omitempty"`
	Seq      int       `json:"seq"`
	Done     bool      `json:"done"`
	Rows     int       `json:"rows"`
	ResumeAt time.Time `json:"resumeAt,omitzero"`
}

type ApplyInput struct {
	Tenant model.TenantKey `json:"tenant"`
	RunID  int64           `json:"runId"`
}

// RunSummary is a run as the workflow sees it: figures only.
type RunSummary struct {
	RunID    int64           `json:"runId"`
	Status   store.RunStatus `json:"status"`
	Baseline bool            `json:"baseline"`
	Counts   store.Counts    `json:"counts"`
	Changes  int             `json:"changes"`
	Guard    *store.Guard    `json:"guard,omitempty"`
}

type ResolveGuardInput struct {
	Tenant model.TenantKey `json:"tenant"`
	RunID  int64           `json:"runId"`
	Remove bool            `json:"remove"`
}

type FailRunInput struct {
	RunID  int64  `json:"runId"`
	Reason string `json:"reason"`
}

// PhaseChange is an outbox event telling Gifted a connection's phase changed.
type PhaseChange struct {
	Tenant model.TenantKey `json:"tenant"`
	Phase  model.Phase     `json:"phase"`
	Detail string          `json:"detail,omitempty"`
	Key    string          `json:"key"` // unique per change, so a retried activity records it once
}
