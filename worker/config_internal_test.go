package worker

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDatabaseForLogs(t *testing.T) {
	require.Equal(t, "postgres://app@db:5432/hibobsync",
		databaseForLogs("postgres://app:s3cret@db:5432/hibobsync?sslmode=disable&password=other"))
	require.Equal(t, "postgres://127.0.0.1:5432/postgres", databaseForLogs("postgres://127.0.0.1:5432/postgres"))
	require.Equal(t, "(a keyword/value connection string)", databaseForLogs("host=db password=s3cret"))
}
