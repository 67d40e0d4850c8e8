// Package starter is the one place that talks to tenant workflows from outside: Gifted's
// backend (through `hibobsync api`), support's verbs and the demo connect companies, act on
// their connections and read where they stand through it.
//
// Every action is a workflow Update, so a refused action comes back at once with the reason:
// *WrongPhaseError (the connection's phase does not allow it), *InvalidInputError (the request
// itself is wrong, with the field), ErrUnknownTenant, ErrTemporalUnavailable.
package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"hibobsync/activities"
	"hibobsync/hibob"
	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/workflows"
)

// MinSyncInterval is the shortest sync interval Connect accepts: HiBob's rate limits are per
// company, and a sync of a large company takes minutes.
const MinSyncInterval = time.Minute

// Memo keys every tenant workflow is started with; continue-as-new carries them over, so
// ListConnections reads the company and the chain's start from the list itself.
const (
	memoCompany     = "company"
	memoConnectedAt = "connectedAt"
)

// Starter connects tenants and acts on their workflows. It is safe for concurrent use.
type Starter struct {
	c  client.Client
	st *store.Store
}

// New returns a Starter on a Temporal client and the project's store. st may be nil for a
// Starter that only acts on existing connections (the support verbs): Connect and
// UpdateCredentials then fail.
func New(c client.Client, st *store.Store) *Starter { return &Starter{c: c, st: st} }

// ConnectRequest is what a customer enters to connect their company's HiBob.
type ConnectRequest struct {
	Company       string        // the company name as the customer typed it; "Acme Service User" is Acme re-connecting
	ServiceUserID string        // e.g. SERVICE-12345
	Token         string        // the service user's token; stored sealed, never logged or echoed
	SyncInterval  time.Duration // 0 = workflows.DefaultSyncInterval (24h); only used when this call starts the workflow
}

// Connection is Connect's answer.
type Connection struct {
	Tenant            model.TenantKey `json:"tenant"`
	Company           string          `json:"company"` // as first entered (the stored tenant's name)
	CredentialVersion int             `json:"credentialVersion"`
	Reconnect         bool            `json:"reconnect"` // the name carried "Service User"
	Started           bool            `json:"started"`   // this call started a new workflow run
	Ack               workflows.Ack   `json:"ack"`
}

// Connect validates the request, stores the credentials sealed and, in one Update-with-Start,
// starts the tenant's workflow or hands the running one the credential version. Connecting
// twice is safe: the same credentials keep their version and the workflow answers "already
// using credentials version N".
func (s *Starter) Connect(ctx context.Context, r ConnectRequest) (Connection, error) {
	key, reconnect, err := model.TenantKeyOf(r.Company)
	if err != nil {
		return Connection{}, &InvalidInputError{Field: "company", Message: err.Error()}
	}
	id, err := validCredentials(r.ServiceUserID, r.Token)
	if err != nil {
		return Connection{}, err
	}
	switch {
	case r.SyncInterval < 0:
		return Connection{}, invalid("syncInterval", "the sync interval is negative; give a duration such as 24h, or none for the default (%s)", workflows.DefaultSyncInterval)
	case r.SyncInterval > 0 && r.SyncInterval < MinSyncInterval:
		return Connection{}, invalid("syncInterval", "the sync interval %s is shorter than the minimum of %s", r.SyncInterval, MinSyncInterval)
	}
	if s.st == nil {
		return Connection{}, errors.New("starter: connect needs the store (this Starter was made without one)")
	}

	tenant, _, err := s.st.EnsureTenant(ctx, r.Company)
	if err != nil {
		return Connection{}, storeError(key, err)
	}
	version, err := s.st.SaveCredentials(ctx, tenant.Key, hibob.NewCredentials(id, r.Token))
	if err != nil {
		return Connection{}, storeError(key, err)
	}

	wid := workflows.WorkflowID(tenant.Key)
	before, err := s.runningRunID(ctx, wid)
	if err != nil {
		return Connection{}, s.mapError(ctx, tenant.Key, "", err)
	}
	op := s.c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       wid,
		TaskQueue:                activities.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.TenantKey.ValueSet(string(tenant.Key)),
			workflows.PhaseKey.ValueSet(string(model.PhaseValidatingCredentials))),
		Memo:          map[string]any{memoCompany: tenant.CompanyName, memoConnectedAt: time.Now().UTC()},
		StaticSummary: "HiBob connection of " + tenant.CompanyName,
		StaticDetails: fmt.Sprintf("Tenant key `%s` (find its runs with `HibobTenant = \"%s\"`)", tenant.Key, tenant.Key),
	}, workflows.TenantWorkflow, workflows.TenantInput{
		Tenant: tenant.Key, Company: tenant.CompanyName, CredentialVersion: version, SyncInterval: r.SyncInterval,
	})
	h, err := s.c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.UpdateCredentials,
			Args:         []any{workflows.CredentialsUpdate{Version: version}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return Connection{}, s.mapError(ctx, tenant.Key, workflows.UpdateCredentials, err)
	}
	var ack workflows.Ack
	if err := h.Get(ctx, &ack); err != nil {
		return Connection{}, s.mapError(ctx, tenant.Key, workflows.UpdateCredentials, err)
	}
	// The start operation is settled once the update is durable, so Get does not wait.
	run, err := op.Get(ctx)
	if err != nil {
		return Connection{}, s.mapError(ctx, tenant.Key, "", err)
	}
	started := run.GetRunID() != before
	if started {
		// A new run starts with this version, so the workflow's answer is "already using" it.
		ack.Message = fmt.Sprintf("connection started: checking credentials version %d", version)
	}
	return Connection{
		Tenant: tenant.Key, Company: tenant.CompanyName, CredentialVersion: version,
		Reconnect: reconnect, Started: started, Ack: ack,
	}, nil
}

// runningRunID is the run ID of the workflow's running execution, "" when none runs. Comparing
// it with the run Update-with-Start used tells whether the call started one. (Two connects of a
// new tenant racing may both report Started.)
func (s *Starter) runningRunID(ctx context.Context, workflowID string) (string, error) {
	d, err := s.c.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return "", nil
	case err != nil:
		return "", err
	}
	info := d.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return "", nil
	}
	return info.GetExecution().GetRunId(), nil
}

// validCredentials checks a service user ID and token as a customer pasted them; it returns
// the ID trimmed. The token is never part of an error.
func validCredentials(serviceUserID, token string) (string, error) {
	id, err := hibob.ValidServiceUserID(serviceUserID)
	if err != nil {
		return "", &InvalidInputError{Field: "serviceUserId", Message: err.Error()}
	}
	switch {
	case token == "":
		return "", invalid("token", "the token is empty; paste the service user's token (Bob shows it once, when the service user is created or its token reset)")
	case strings.TrimSpace(token) == "":
		return "", invalid("token", "the token is only whitespace; paste the service user's token")
	case strings.IndexFunc(token, unicode.IsSpace) >= 0:
		return "", invalid("token", "the token contains a space or a line break (%d characters); paste it again as one piece, without spaces or new lines", len([]rune(token)))
	}
	return id, nil
}

// UpdateCredentials stores a new service user ID and token for a connected tenant, sealed, and
// hands the version to its workflow, which checks them again. Unlike Connect it never starts a
// workflow.
func (s *Starter) UpdateCredentials(ctx context.Context, tenant model.TenantKey, serviceUserID, token string) (workflows.Ack, error) {
	key, err := parseTenant(tenant)
	if err != nil {
		return workflows.Ack{}, err
	}
	id, err := validCredentials(serviceUserID, token)
	if err != nil {
		return workflows.Ack{}, err
	}
	if s.st == nil {
		return workflows.Ack{}, errors.New("starter: updating credentials needs the store (this Starter was made without one)")
	}
	if _, err := s.st.Tenant(ctx, key); err != nil {
		return workflows.Ack{}, storeError(key, err)
	}
	// Refuse before storing a version no workflow will use.
	if _, err := s.runningOrRefused(ctx, key); err != nil {
		return workflows.Ack{}, err
	}
	version, err := s.st.SaveCredentials(ctx, key, hibob.NewCredentials(id, token))
	if err != nil {
		return workflows.Ack{}, storeError(key, err)
	}
	return s.update(ctx, key, workflows.UpdateCredentials, workflows.CredentialsUpdate{Version: version})
}

// runningOrRefused returns the running run's ID, or the error an action on a tenant without a
// running workflow gets.
func (s *Starter) runningOrRefused(ctx context.Context, key model.TenantKey) (string, error) {
	run, err := s.runningRunID(ctx, workflows.WorkflowID(key))
	if err != nil {
		return "", s.mapError(ctx, key, "", err)
	}
	if run == "" {
		return "", s.notRunning(ctx, key, nil)
	}
	return run, nil
}

// RecheckPermissions audits the service user's permissions now (permissions_missing only).
func (s *Starter) RecheckPermissions(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error) {
	return s.action(ctx, tenant, workflows.UpdateRecheckPermissions)
}

// SyncNow starts a sync instead of waiting for the next scheduled one (active or sync_failing).
func (s *Starter) SyncNow(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error) {
	return s.action(ctx, tenant, workflows.UpdateSyncNow)
}

// Pause stops syncing until Resume.
func (s *Starter) Pause(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error) {
	return s.action(ctx, tenant, workflows.UpdatePause)
}

// Resume continues a paused connection where it was.
func (s *Starter) Resume(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error) {
	return s.action(ctx, tenant, workflows.UpdateResume)
}

// Disconnect ends the connection for good; connecting again starts a new one.
func (s *Starter) Disconnect(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error) {
	return s.action(ctx, tenant, workflows.UpdateDisconnect)
}

// Approve is support's approval of a connection awaiting review, or of removals on hold.
func (s *Starter) Approve(ctx context.Context, tenant model.TenantKey, reviewer, note string) (workflows.Ack, error) {
	key, err := parseTenant(tenant)
	if err != nil {
		return workflows.Ack{}, err
	}
	reviewer = strings.TrimSpace(reviewer)
	if reviewer == "" {
		return workflows.Ack{}, invalid("reviewer", "approving needs the reviewer's name (who at Gifted approves)")
	}
	return s.update(ctx, key, workflows.UpdateApprove, workflows.ApproveRequest{Reviewer: reviewer, Note: strings.TrimSpace(note)})
}

// Reject is support's rejection of a connection awaiting review (the connection ends), or of
// removals on hold (the employees are kept).
func (s *Starter) Reject(ctx context.Context, tenant model.TenantKey, reviewer, reason string) (workflows.Ack, error) {
	key, err := parseTenant(tenant)
	if err != nil {
		return workflows.Ack{}, err
	}
	reviewer, reason = strings.TrimSpace(reviewer), strings.TrimSpace(reason)
	switch {
	case reviewer == "":
		return workflows.Ack{}, invalid("reviewer", "rejecting needs the reviewer's name (who at Gifted rejects)")
	case reason == "":
		return workflows.Ack{}, invalid("reason", "rejecting needs a reason the customer can act on")
	}
	return s.update(ctx, key, workflows.UpdateReject, workflows.RejectRequest{Reviewer: reviewer, Reason: reason})
}

// Status asks the tenant's workflow where its connection stands. It works on ended connections
// too (rejected, disconnected), as long as a worker runs.
func (s *Starter) Status(ctx context.Context, tenant model.TenantKey) (workflows.Status, error) {
	key, err := parseTenant(tenant)
	if err != nil {
		return workflows.Status{}, err
	}
	st, err := s.query(ctx, key)
	if err != nil {
		return workflows.Status{}, s.mapError(ctx, key, "", err)
	}
	return st, nil
}

func (s *Starter) query(ctx context.Context, key model.TenantKey) (workflows.Status, error) {
	v, err := s.c.QueryWorkflow(ctx, workflows.WorkflowID(key), "", workflows.QueryStatus)
	if err != nil {
		return workflows.Status{}, err
	}
	var st workflows.Status
	if err := v.Get(&st); err != nil {
		return workflows.Status{}, fmt.Errorf("tenant %s: read the status: %w", key, err)
	}
	return st, nil
}

func (s *Starter) action(ctx context.Context, tenant model.TenantKey, name string) (workflows.Ack, error) {
	key, err := parseTenant(tenant)
	if err != nil {
		return workflows.Ack{}, err
	}
	return s.update(ctx, key, name)
}

// update runs one Update on the tenant's running workflow and waits for its answer.
func (s *Starter) update(ctx context.Context, key model.TenantKey, name string, args ...any) (workflows.Ack, error) {
	h, err := s.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(key), UpdateName: name, Args: args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return workflows.Ack{}, s.mapError(ctx, key, name, err)
	}
	var ack workflows.Ack
	if err := h.Get(ctx, &ack); err != nil {
		return workflows.Ack{}, s.mapError(ctx, key, name, err)
	}
	return ack, nil
}

// notRunning explains why tenant has no running workflow: its connection ended (a
// *WrongPhaseError with the final phase: connect again to start anew), or there is none
// (ErrUnknownTenant).
func (s *Starter) notRunning(ctx context.Context, key model.TenantKey, cause error) error {
	d, err := s.c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(key), "")
	if err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		info := d.GetWorkflowExecutionInfo()
		phase := model.Phase(keyword(info.GetSearchAttributes().GetIndexedFields()[workflows.PhaseKey.GetName()]))
		what := "has ended"
		if phase != "" {
			what = "is " + string(phase)
		}
		return &WrongPhaseError{Tenant: key, Phase: phase, Message: fmt.Sprintf(
			"the connection of tenant %s %s (its workflow %s); connect the company again to start a new one",
			key, what, strings.ToLower(strings.TrimPrefix(info.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_")))}
	}
	if err != nil && unavailable(ctx, err) {
		return temporalUnavailable(key, err)
	}
	if cause != nil {
		return fmt.Errorf("%w: %s has no connection (%w)", ErrUnknownTenant, key, cause)
	}
	return fmt.Errorf("%w: %s has no connection", ErrUnknownTenant, key)
}
