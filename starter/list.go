package starter

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"hibobsync/model"
	"hibobsync/workflows"
)

// ConnectionSummary is one line of ListConnections.
type ConnectionSummary struct {
	Tenant  model.TenantKey `json:"tenant"`
	Company string          `json:"company"`
	Phase   model.Phase     `json:"phase"`
	// StartedAt is when the connection's workflow chain started (the first run, not the
	// current one after continue-as-new).
	StartedAt time.Time `json:"startedAt"`
	// PhaseSince comes from the workflow's status query when the list is short enough to ask
	// every workflow quickly; else, or when the worker does not answer in time, it is zero.
	PhaseSince time.Time `json:"phaseSince,omitzero"`
}

// Bounds of ListConnections' status queries for PhaseSince.
const (
	phaseSinceMaxConnections = 100
	phaseSinceBudget         = 3 * time.Second
	phaseSinceConcurrency    = 8
)

// ListConnections lists the running connections in phase ("" = every phase), oldest first,
// from Temporal's visibility store: `HibobPhase = "<phase>" AND ExecutionStatus = "Running"`
// (the same query works in the Temporal UI). Visibility is eventually consistent: a connection
// that just changed phase may be listed under its old phase, or not at all, for a moment (about
// a second on the dev server).
func (s *Starter) ListConnections(ctx context.Context, phase model.Phase) ([]ConnectionSummary, error) {
	query := `ExecutionStatus = "Running"`
	if phase != "" {
		if !slices.Contains(model.Phases, phase) {
			names := make([]string, len(model.Phases))
			for i, p := range model.Phases {
				names[i] = string(p)
			}
			return nil, invalid("phase", "%q is not a phase; phases are %s", phase, strings.Join(names, ", "))
		}
		query = fmt.Sprintf(`%s = %q AND %s`, workflows.PhaseKey.GetName(), phase, query)
	}
	// Only tenant workflows: worker.Register registers TenantWorkflow under its function name.
	query = `WorkflowType = "TenantWorkflow" AND ` + query

	var out []ConnectionSummary
	var token []byte
	for {
		resp, err := s.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token, PageSize: 1000})
		if err != nil {
			return nil, s.mapError(ctx, "", "", err)
		}
		for _, e := range resp.GetExecutions() {
			sa := e.GetSearchAttributes().GetIndexedFields()
			c := ConnectionSummary{
				Tenant:    model.TenantKey(keyword(sa[workflows.TenantKey.GetName()])),
				Phase:     model.Phase(keyword(sa[workflows.PhaseKey.GetName()])),
				StartedAt: e.GetStartTime().AsTime(),
			}
			if c.Tenant == "" {
				c.Tenant = model.TenantKey(strings.TrimPrefix(e.GetExecution().GetWorkflowId(), workflows.WorkflowID("")))
			}
			memo := e.GetMemo().GetFields()
			_ = converter.GetDefaultDataConverter().FromPayload(memo[memoCompany], &c.Company)
			var connectedAt time.Time
			if converter.GetDefaultDataConverter().FromPayload(memo[memoConnectedAt], &connectedAt) == nil && !connectedAt.IsZero() {
				c.StartedAt = connectedAt
			}
			out = append(out, c)
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	if len(out) <= phaseSinceMaxConnections {
		s.fillFromStatus(ctx, out)
	}
	slices.SortStableFunc(out, func(a, b ConnectionSummary) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.Tenant, b.Tenant))
	})
	return out, nil
}

// fillFromStatus asks each workflow for its status, within a small time budget, for the
// phase's start (and the company, when the memo lacks it). Misses leave the fields as they are.
func (s *Starter) fillFromStatus(ctx context.Context, list []ConnectionSummary) {
	ctx, cancel := context.WithTimeout(ctx, phaseSinceBudget)
	defer cancel()
	sem := make(chan struct{}, phaseSinceConcurrency)
	var wg sync.WaitGroup
	for i := range list {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			st, err := s.query(ctx, list[i].Tenant)
			if err != nil {
				return
			}
			if st.Phase == list[i].Phase || list[i].Phase == "" {
				list[i].PhaseSince = st.PhaseSince
			}
			if list[i].Company == "" {
				list[i].Company = st.Company
			}
		})
	}
	wg.Wait()
}

// keyword decodes a Keyword search attribute's value; "" when absent.
func keyword(p *commonpb.Payload) string {
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}
