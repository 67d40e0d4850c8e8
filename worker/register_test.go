package worker_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"hibobsync/activities"
	"hibobsync/worker"
	"hibobsync/workflows"
)

// recorder is a Registry that remembers what was registered.
type recorder struct {
	sdkworker.Registry // nil: any other method panics, so the test notices new kinds of registration
	workflows          []any
	activities         []any
}

func (r *recorder) RegisterWorkflow(w any) { r.workflows = append(r.workflows, w) }
func (r *recorder) RegisterWorkflowWithOptions(w any, _ workflow.RegisterOptions) {
	r.workflows = append(r.workflows, w)
}
func (r *recorder) RegisterActivity(a any) { r.activities = append(r.activities, a) }
func (r *recorder) RegisterActivityWithOptions(a any, _ activity.RegisterOptions) {
	r.activities = append(r.activities, a)
}

func TestRegister(t *testing.T) {
	var r recorder
	acts := &activities.Activities{}
	worker.Register(&r, acts)
	require.Len(t, r.workflows, 1)
	require.Equal(t, reflect.ValueOf(workflows.TenantWorkflow).Pointer(), reflect.ValueOf(r.workflows[0]).Pointer())
	require.Len(t, r.activities, 1)
	require.Same(t, acts, r.activities[0])

	// The test environment validates what it registers as a worker does (it panics on a
	// workflow or activity method the SDK cannot call).
	env := (&testsuite.WorkflowTestSuite{}).NewTestWorkflowEnvironment()
	require.NotPanics(t, func() { worker.Register(env, acts) })
}

func TestSearchAttributes(t *testing.T) {
	var names []string
	for _, k := range worker.SearchAttributes() {
		names = append(names, k.GetName()+"="+k.GetValueType().String())
	}
	require.ElementsMatch(t, []string{"HibobTenant=Keyword", "HibobPhase=Keyword"}, names)
}
