package store

import (
	"context"
	"encoding/json"
	"fmt"

	"hibobsync/model"
)

// RecordEvent writes one event for Gifted to the outbox (a connection changing phase, say).
// dedupKey makes it exactly-once: a retried writer records nothing the second time. The
// payload must carry no personal data.
func (s *Store) RecordEvent(ctx context.Context, tenant model.TenantKey, eventType, dedupKey string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("store: encode %s event of tenant %q: %w", eventType, tenant, err)
	}
	if _, err := s.pool.Exec(ctx, sqlOutboxEvent, tenant, eventType, dedupKey, b); err != nil {
		return fmt.Errorf("store: record %s event of tenant %q: %w", eventType, tenant, err)
	}
	return nil
}
