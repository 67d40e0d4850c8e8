package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"hibobsync/hibob"
	"hibobsync/model"
)

// auditSample is how many employees the permission audit reads in full.
const auditSample = 1000

// ValidateCredentials checks the referenced credentials with one cheap call (the field
// metadata, which needs no permission). 401 is a non-retryable ErrCredentialsInvalid;
// credentials that are not stored or cannot be opened a non-retryable ErrInvalidConfiguration.
func (a *Activities) ValidateCredentials(ctx context.Context, ref CredentialsRef) error {
	logger := activity.GetLogger(ctx)
	conn, err := a.connect(ctx, ref)
	if err != nil {
		return err
	}
	fields, err := conn.client.Fields(ctx)
	if err != nil {
		return failure(ref.Tenant, "checking the credentials", err, a.now())
	}
	logger.Info("HiBob accepted the credentials", "tenant", ref.Tenant, "credentialsVersion", ref.Version, "fields", len(fields))
	return nil
}

// AuditPermissions checks what the service user can read: the ten permissions, the audience,
// and the coverage of a sample of employees. The result holds counts and findings only.
func (a *Activities) AuditPermissions(ctx context.Context, ref CredentialsRef) (AuditResult, error) {
	logger := activity.GetLogger(ctx)
	conn, err := a.connect(ctx, ref)
	if err != nil {
		return AuditResult{}, err
	}
	audit, err := hibob.AuditConnection(ctx, conn.client, hibob.AuditOptions{
		Sample: auditSample,
		Today:  model.DateOf(a.now().UTC()),
	})
	if err != nil {
		return AuditResult{}, failure(ref.Tenant, "auditing the permissions", err, a.now())
	}
	res := AuditResult{Audit: audit, Passes: audit.Passes(), Missing: audit.MissingPermissions()}
	logger.Info("audited HiBob permissions", "tenant", ref.Tenant, "credentialsVersion", ref.Version,
		"employees", audit.Employees, "passes", res.Passes, "missing", fmt.Sprint(res.Missing))
	return res, nil
}
