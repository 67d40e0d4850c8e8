package worker

import (
	"context"
	"strings"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"hibobsync/workflows"
)

// tenantLogging adds a "tenant" field to the loggers workflows and activities get, so that one
// tenant's lines can be found without parsing workflow IDs. The SDK already adds the workflow
// and run IDs.
type tenantLogging struct {
	interceptor.WorkerInterceptorBase
}

// tenantOf is the tenant key in a tenant workflow's ID, "" for any other workflow.
func tenantOf(workflowID string) string {
	t, ok := strings.CutPrefix(workflowID, workflows.WorkflowID(""))
	if !ok {
		return ""
	}
	return t
}

func withTenant(l log.Logger, workflowID string) log.Logger {
	if t := tenantOf(workflowID); t != "" {
		return log.With(l, "tenant", t)
	}
	return l
}

func (*tenantLogging) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &activityInbound{}
	i.Next = next
	return i
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (a *activityInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &activityOutbound{}
	o.Next = outbound
	return a.Next.Init(o)
}

type activityOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
}

func (a *activityOutbound) GetLogger(ctx context.Context) log.Logger {
	return withTenant(a.Next.GetLogger(ctx), a.Next.GetInfo(ctx).WorkflowExecution.ID)
}

func (*tenantLogging) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &workflowInbound{}
	i.Next = next
	return i
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *workflowInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	o := &workflowOutbound{}
	o.Next = outbound
	return w.Next.Init(o)
}

type workflowOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (w *workflowOutbound) GetLogger(ctx workflow.Context) log.Logger {
	return withTenant(w.Next.GetLogger(ctx), w.Next.GetInfo(ctx).WorkflowExecution.ID)
}
