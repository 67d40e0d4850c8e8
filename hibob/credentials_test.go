package hibob_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
)

func TestCredentialsNeverPrintTheToken(t *testing.T) {
	c := hibob.NewCredentials(testUser, testToken)
	require.Equal(t, testUser, c.ServiceUserID())
	require.Equal(t, testToken, c.RevealToken())

	type embedding struct {
		hibob.Credentials
		Tenant string
	}
	type holding struct {
		creds  hibob.Credentials // unexported: fmt cannot call its methods
		Tenant string
	}
	type pointing struct{ C *hibob.Credentials }

	values := map[string]any{
		"value":      c,
		"pointer":    &c,
		"embedded":   embedding{c, "acme"},
		"embeddedP":  &embedding{c, "acme"},
		"unexported": holding{c, "acme"},
		"holdingP":   &holding{c, "acme"},
		"pointing":   pointing{&c},
		"slice":      []hibob.Credentials{c},
		"map":        map[string]hibob.Credentials{"k": c},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10.3v", "%-v"}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			require.NotContains(t, out, testToken, "%s %s", name, verb)
			require.NotContains(t, out, "Secr3t", "%s %s", name, verb)
		}
		require.NotContains(t, fmt.Sprint(v), testToken, name)
		require.NotContains(t, fmt.Sprintln(v), testToken, name)
		b, err := json.Marshal(v)
		if err == nil {
			require.NotContains(t, string(b), testToken, name)
		}
	}

	require.Equal(t, "SERVICE-12345:[redacted]", c.String())
	require.Equal(t, "SERVICE-12345:[redacted]", fmt.Sprintf("%v", c))
	require.Equal(t, "SERVICE-12345:[redacted]", fmt.Sprintf("%+v", c))
	require.Equal(t, "SERVICE-12345:[redacted]", fmt.Sprintf("%s", c))
	require.Equal(t, `"SERVICE-12345:[redacted]"`, fmt.Sprintf("%q", c))
	require.Equal(t, `hibob.Credentials{ServiceUserID:"SERVICE-12345", Token:"[redacted]"}`, fmt.Sprintf("%#v", c))
	require.Equal(t, c.GoString(), fmt.Sprintf("%#v", c))
	require.Contains(t, fmt.Sprintf("%+v", embedding{c, "acme"}), "SERVICE-12345:[redacted]")

	b, err := json.Marshal(c)
	require.NoError(t, err)
	require.JSONEq(t, `{"serviceUserId":"SERVICE-12345","token":"[redacted]"}`, string(b))
	text, err := c.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "SERVICE-12345:[redacted]", string(text))

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("connect", "creds", c, "wrapped", embedding{c, "x"})
	slog.New(slog.NewTextHandler(&logs, nil)).Info("connect", "creds", c)
	require.NotContains(t, logs.String(), testToken)
	require.True(t, strings.Contains(logs.String(), "[redacted]"))
}

func TestCredentialsEqualAndZero(t *testing.T) {
	require.True(t, hibob.Credentials{}.IsZero())
	a, b := hibob.NewCredentials("S", "t"), hibob.NewCredentials("S", "t")
	require.True(t, a.Equal(b))
	require.False(t, a.Equal(hibob.NewCredentials("S", "u")))
	require.Equal(t, "", hibob.Credentials{}.RevealToken())
}

func TestNewRefusesBadInput(t *testing.T) {
	_, err := hibob.New(hibob.NewCredentials("", testToken))
	require.ErrorContains(t, err, "service user ID is empty")
	_, err = hibob.New(hibob.NewCredentials(testUser, " "))
	require.ErrorContains(t, err, "token is empty")
	_, err = hibob.New(hibob.NewCredentials("a:b", testToken))
	require.Error(t, err)
	for _, u := range []string{"ftp://api.hibob.com/v1", "api.hibob.com/v1", "https://", "https://u:p@api.hibob.com/v1", "https://api.hibob.com/v1?x=1", "://"} {
		_, err := hibob.New(hibob.NewCredentials(testUser, testToken), hibob.WithBaseURL(u))
		require.Error(t, err, u)
		require.NotContains(t, err.Error(), testToken)
	}
	c, err := hibob.New(hibob.NewCredentials(testUser, testToken))
	require.NoError(t, err)
	require.Equal(t, hibob.DefaultBaseURL, c.BaseURL())
	c, err = hibob.New(hibob.NewCredentials(testUser, testToken), hibob.WithBaseURL(hibob.SandboxBaseURL+"/"))
	require.NoError(t, err)
	require.Equal(t, hibob.SandboxBaseURL, c.BaseURL())
	require.NotContains(t, fmt.Sprintf("%+v %#v", c, c), testToken)
}

func TestBaseURLFromEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	require.Equal(t, hibob.DefaultBaseURL, hibob.BaseURLFromEnv(get))
	env["HIBOB_BASE_URL"] = " http://localhost:8080/v1 "
	require.Equal(t, "http://localhost:8080/v1", hibob.BaseURLFromEnv(get))
}
