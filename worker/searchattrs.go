package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// checkSearchAttributes fails when the namespace lacks one of SearchAttributes: a tenant
// workflow upserting an unregistered attribute fails its workflow task over and over, which is
// far harder to read than a worker refusing to start. A server that will not list the
// attributes (a restricted API key) only earns a warning.
func checkSearchAttributes(ctx context.Context, c client.Client, namespace string, logger *zap.Logger) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if nf := (*serviceerror.NamespaceNotFound)(nil); errors.As(err, &nf) {
		return fmt.Errorf("worker: namespace %q does not exist on this Temporal server: set TEMPORAL_NAMESPACE to one that does, "+
			"or create it: temporal operator namespace create --namespace %s: %w", namespace, namespace, err)
	}
	if err != nil {
		logger.Warn("cannot list the namespace's search attributes; the tenant workflow needs "+registered(), zap.Error(err))
		return nil
	}
	have := resp.GetCustomAttributes()
	var missing, fixes []string
	for _, key := range SearchAttributes() {
		if t, ok := have[key.GetName()]; ok && t == key.GetValueType() {
			continue
		}
		missing = append(missing, key.GetName()+" ("+key.GetValueType().String()+")")
		fixes = append(fixes, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type %s",
			namespace, key.GetName(), key.GetValueType().String()))
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("worker: namespace %q lacks the search attribute(s) %s that the tenant workflow sets; register them: %s "+
		"(the dev server: start it with %s)",
		namespace, strings.Join(missing, ", "), strings.Join(fixes, "; "), devServerFlags())
}

// devServerFlags are the dev server's flags registering SearchAttributes, for messages.
func devServerFlags() string {
	var flags []string
	for _, key := range SearchAttributes() {
		flags = append(flags, "--search-attribute "+key.GetName()+"="+key.GetValueType().String())
	}
	return strings.Join(flags, " ")
}

func registered() string {
	var names []string
	for _, key := range SearchAttributes() {
		names = append(names, key.GetName()+"="+key.GetValueType().String())
	}
	return strings.Join(names, ", ") + " registered"
}
