package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"hibobsync/model"
)

// call is one request on its way through the API.
type call struct {
	s       *Server
	r       *http.Request
	w       http.ResponseWriter
	rt      route
	id      string
	role    Role
	tenant  model.TenantKey
	secrets []string // tokens read from the body: redacted from every message
	header  http.Header
}

func (c *call) ctx() context.Context { return c.r.Context() }

// redact removes every token the request carried from a message.
func (c *call) redact(msg string) string {
	for _, s := range c.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// minSecret is the shortest token redacted: a shorter one is no real token, and replacing a
// letter or two everywhere would garble every message.
const minSecret = 8

// secret registers a token from the body, so that no message repeats it.
func (c *call) secret(token string) {
	for _, t := range []string{token, strings.TrimSpace(token)} {
		if len(t) >= minSecret && !slices.Contains(c.secrets, t) {
			c.secrets = append(c.secrets, t)
		}
	}
}

// apiError is a refusal with its HTTP status and the fields of the error body.
type apiError struct {
	status  int
	message string
	field   string
	phase   string
	cause   error // logged, never sent
}

func (e *apiError) Error() string { return e.message }
func (e *apiError) Unwrap() error { return e.cause }

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, field: field, message: fmt.Sprintf(format, args...)}
}

// errorBody is every error's JSON body.
type errorBody struct {
	Error     string `json:"error"`
	Field     string `json:"field,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
	Phase     string `json:"phase,omitempty"`
	RequestID string `json:"requestId"`
}

func (s *Server) handler(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{s: s, r: r, w: w, rt: rt, id: newRequestID()}
		w.Header().Set("X-Request-Id", c.id)
		status, err := s.serve(c)
		fields := []zap.Field{
			zap.String("requestId", c.id), zap.String("method", r.Method), zap.String("route", rt.path),
			zap.String("path", r.URL.Path), zap.Int("status", status), zap.Duration("took", time.Since(start)),
			zap.String("remote", r.RemoteAddr),
		}
		if c.role != "" {
			fields = append(fields, zap.String("role", string(c.role)))
		}
		if c.tenant != "" {
			fields = append(fields, zap.String("tenant", string(c.tenant)))
		}
		level := zapcore.InfoLevel
		if err != nil {
			fields = append(fields, zap.String("error", c.redact(err.Error())))
			if ae := (*apiError)(nil); errors.As(err, &ae) && ae.cause != nil {
				fields = append(fields, zap.String("cause", c.redact(ae.cause.Error())))
			}
			switch {
			case status >= 500:
				level = zapcore.ErrorLevel
			case status == http.StatusUnauthorized || status == http.StatusForbidden:
				level = zapcore.WarnLevel
			}
		}
		if rt.path == "/healthz" && err == nil {
			level = zapcore.DebugLevel // probes every few seconds
		}
		s.logger.Check(level, "http request").Write(fields...)
	})
}

// serve authenticates, validates the tenant, runs the route and writes the answer; it returns
// the status written and the error behind a refusal.
func (s *Server) serve(c *call) (int, error) {
	if c.rt.roles != nil {
		if err := s.authorize(c); err != nil {
			return s.fail(c, err), err
		}
	}
	if strings.Contains(c.rt.path, "{tenant}") {
		raw := c.r.PathValue("tenant")
		key, err := model.ParseTenantKey(raw)
		if err != nil {
			err := badRequest("tenant", "the tenant in the path is not valid: %v; use the tenant key POST /v1/connections returned", err)
			return s.fail(c, err), err
		}
		c.tenant = key
	}
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, MaxBodyBytes)
	status, body, err := c.rt.handle(c)
	if err != nil {
		return s.fail(c, err), err
	}
	if raw, ok := body.(rawJSON); ok {
		writeRaw(c, status, raw)
	} else {
		writeJSON(c, status, body)
	}
	return status, nil
}

// authorize finds the caller's role from the bearer key, in constant time, and checks it may
// call the route. The key is never logged: only what was wrong with it.
func (s *Server) authorize(c *call) error {
	h := c.r.Header.Get("Authorization")
	const hint = "send the header Authorization: Bearer <key> with the backend (" + BackendKeyEnv + ") or support (" + SupportKeyEnv + ") API key"
	if h == "" {
		return &apiError{status: http.StatusUnauthorized, message: "no API key: " + hint, cause: errors.New("no Authorization header")}
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		return &apiError{status: http.StatusUnauthorized, message: "the Authorization header is not a bearer key: " + hint,
			cause: errors.New("Authorization header without a bearer key")}
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	isBackend := subtle.ConstantTimeCompare(sum[:], s.backend[:]) == 1
	isSupport := subtle.ConstantTimeCompare(sum[:], s.support[:]) == 1
	switch {
	case isBackend:
		c.role = RoleBackend
	case isSupport:
		c.role = RoleSupport
	default:
		return &apiError{status: http.StatusUnauthorized, message: "the API key is not valid: " + hint, cause: errors.New("wrong API key")}
	}
	for _, r := range c.rt.roles {
		if r == c.role {
			return nil
		}
	}
	names := make([]string, len(c.rt.roles))
	for i, r := range c.rt.roles {
		names[i] = string(r)
	}
	return &apiError{status: http.StatusForbidden,
		message: fmt.Sprintf("the %s key may not %s %s: it is for the %s role; use that role's key", c.role, c.r.Method, c.rt.path, strings.Join(names, " or ")),
		cause:   fmt.Errorf("role %s may not call %s %s", c.role, c.r.Method, c.rt.path)}
}

// fail writes the error body of err and returns its status.
func (s *Server) fail(c *call, err error) int {
	ae := s.classify(c, err)
	body := errorBody{Error: c.redact(ae.message), Field: ae.field, Phase: ae.phase, Tenant: string(c.tenant), RequestID: c.id}
	switch ae.status {
	case http.StatusUnauthorized:
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="hibobsync"`)
	case http.StatusServiceUnavailable:
		c.w.Header().Set("Retry-After", "30")
	}
	writeJSON(c, ae.status, body)
	return ae.status
}

func writeJSON(c *call, status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(body); err != nil {
		c.s.logger.Error("encode a response", zap.String("requestId", c.id), zap.Error(err))
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, "{\"error\": \"the response could not be encoded; the API logged it as request %s\", \"requestId\": %q}\n", c.id, c.id)
	}
	writeRaw(c, status, buf.Bytes())
}

type rawJSON []byte

func writeRaw(c *call, status int, body []byte) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	for k, v := range c.header {
		h[k] = v
	}
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

// methodNotAllowed answers a known path asked with another method.
func (s *Server) methodNotAllowed(methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{s: s, r: r, w: w, id: newRequestID()}
		w.Header().Set("X-Request-Id", c.id)
		w.Header().Set("Allow", allow)
		writeJSON(c, http.StatusMethodNotAllowed, errorBody{
			Error:     fmt.Sprintf("%s is not allowed on %s: use %s (see /openapi.json)", r.Method, r.URL.Path, allow),
			RequestID: c.id,
		})
		s.logger.Info("http request", zap.String("requestId", c.id), zap.String("method", r.Method),
			zap.String("path", r.URL.Path), zap.Int("status", http.StatusMethodNotAllowed), zap.String("remote", r.RemoteAddr))
	})
}

func (s *Server) notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{s: s, r: r, w: w, id: newRequestID()}
		w.Header().Set("X-Request-Id", c.id)
		writeJSON(c, http.StatusNotFound, errorBody{
			Error:     fmt.Sprintf("no route %s %s: the API's routes are described at /openapi.json", r.Method, r.URL.Path),
			RequestID: c.id,
		})
		s.logger.Info("http request", zap.String("requestId", c.id), zap.String("method", r.Method),
			zap.String("path", r.URL.Path), zap.Int("status", http.StatusNotFound), zap.String("remote", r.RemoteAddr))
	})
}

// decode reads the request body, one JSON object with only known fields, into v. An empty body
// is allowed when emptyOK (the actions that take no input).
func (c *call) decode(v any, emptyOK bool) error {
	dec := json.NewDecoder(c.r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// Exactly one value: anything after it is a mistake.
		var extra json.RawMessage
		switch err2 := dec.Decode(&extra); {
		case errors.Is(err2, io.EOF):
		case err2 == nil:
			return badRequest("", "the request body holds more than one JSON value; send one JSON object")
		default:
			err = err2
		}
	}
	if err == nil {
		return nil
	}
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return &apiError{status: http.StatusRequestEntityTooLarge,
			message: fmt.Sprintf("the request body is over the limit of %d KiB; send only the fields the route takes (see /openapi.json)", MaxBodyBytes>>10)}
	case errors.Is(err, io.EOF):
		if emptyOK {
			return nil
		}
		return badRequest("", "the request body is empty; send a JSON object with the fields the route takes (see /openapi.json)")
	case errors.As(err, &syntaxErr):
		return badRequest("", "the request body is not valid JSON (at byte %d); send one JSON object", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "the request body is not valid JSON (it ends early); send one complete JSON object")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return badRequest("", "the request body must be a JSON object, not a %s", typeErr.Value)
		}
		return badRequest(typeErr.Field, "%s must be a %s, not a %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(name, "the request body has an unknown field %q; the route takes only the fields listed in /openapi.json", name)
	}
	return badRequest("", "the request body could not be read: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	}
	return "number"
}
