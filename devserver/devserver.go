// Package devserver runs the project's pinned Temporal dev server (the Temporal CLI v1.5.1 that
// `make temporal` builds into bin/) for workflow integration tests, the demo and benchmarks: free
// ports, SQLite in memory or in a file, the project's search attributes registered, and the
// dynamic configuration design.md measured ("Measured on these machines").
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// DynamicConfig is the dev server's dynamic configuration beyond its defaults, as
// `--dynamic-config-value` takes it. One task-queue partition and eager activities take a
// sequential activity round trip from ~90 ms to ~40 ms and 16 concurrent ones from ~60 ms to
// ~5-7 ms each (design.md); a 100,000-employee sync is 500 batch fetches, so dispatch latency
// would otherwise dominate tests, demos and benchmarks.
func DynamicConfig() []string {
	return []string{
		"matching.numTaskqueueReadPartitions=1",
		"matching.numTaskqueueWritePartitions=1",
		"system.enableActivityEagerExecution=true",
	}
}

// Options configure a dev server. The zero value is a headless, in-memory server on a free
// port of 127.0.0.1 with namespace "default" and no custom search attributes.
type Options struct {
	// Namespace to create and to point the client at; "" is "default".
	Namespace string
	// HostPort the frontend (gRPC) binds to; "" picks a free port on 127.0.0.1.
	HostPort string
	// SearchAttributes to register (by name and type). The project's are worker.SearchAttributes;
	// this package does not import them so that package workflows' own tests can use it
	// without an import cycle.
	SearchAttributes []temporal.SearchAttributeKey
	// DBFilename keeps the server's state in this SQLite file across restarts; "" keeps it in
	// memory, gone when the server stops.
	DBFilename string
	// UI serves the Web UI, on UIPort (0 picks a free port).
	UI     bool
	UIPort int
	// LogLevel of the server: "debug", "info", "warn", "error" (the default: the dev server is
	// chatty, and a test's output should show the test).
	LogLevel string
	// Output receives the server's stdout and stderr. nil keeps their last 16 KiB for Output()
	// and for the error of a failed start: even at LogLevel "error" the server logs a burst of
	// "not healthy yet" lines while it starts, which would bury a test's own output.
	Output io.Writer
	// Logger is the SDK client's logger; nil logs the client's warnings and errors to stderr.
	Logger log.Logger
	// ExtraArgs are appended to `temporal server start-dev`'s arguments.
	ExtraArgs []string
}

// Server is a running dev server with a connected client.
type Server struct {
	dev       *testsuite.DevServer
	namespace string
	uiAddress string
	output    *tail // nil when Options.Output was given

	stopOnce sync.Once
	stopErr  error
}

// Start starts the dev server from bin/temporal and waits until its frontend answers (at most
// about a minute, or until ctx ends). Stop it with Stop. ctx bounds the start only: the server
// runs until Stop. (When the server starts but never answers, testsuite.StartDevServer leaves
// the process running; it is a `temporal server start-dev` child of this process.)
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	level := opts.LogLevel
	if level == "" {
		level = "error"
	}
	dev := testsuite.DevServerOptions{
		ExistingPath:  bin,
		ClientOptions: &client.Options{HostPort: opts.HostPort, Namespace: ns, Logger: logger},
		DBFilename:    opts.DBFilename,
		EnableUI:      opts.UI,
		LogLevel:      level,
	}
	var output *tail
	if opts.Output != nil {
		dev.Stdout, dev.Stderr = opts.Output, opts.Output
	} else {
		output = &tail{}
		dev.Stdout, dev.Stderr = output, output
	}
	var uiAddress string
	if opts.UI {
		port := opts.UIPort
		if port == 0 {
			// The CLI's default is the frontend's port + 1000, which nothing reserves.
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("devserver: a free port for the UI: %w", err)
			}
		}
		dev.UIPort = strconv.Itoa(port)
		uiAddress = "http://127.0.0.1:" + dev.UIPort
	}
	for _, key := range opts.SearchAttributes {
		// Passed as flags rather than DevServerOptions.SearchAttributes, which wants a value of
		// each key's Go type just to learn the type's name.
		dev.ExtraArgs = append(dev.ExtraArgs, "--search-attribute", key.GetName()+"="+key.GetValueType().String())
	}
	for _, kv := range DynamicConfig() {
		dev.ExtraArgs = append(dev.ExtraArgs, "--dynamic-config-value", kv)
	}
	dev.ExtraArgs = append(dev.ExtraArgs, opts.ExtraArgs...)

	s, err := testsuite.StartDevServer(ctx, dev)
	if err != nil {
		msg := ""
		if output != nil {
			msg = "; its output ends:\n" + output.String()
		}
		return nil, fmt.Errorf("devserver: start %s server start-dev: %w%s", bin, err, msg)
	}
	return &Server{dev: s, namespace: ns, uiAddress: uiAddress, output: output}, nil
}

// Output is the end of the server's stdout and stderr (the last 16 KiB), "" when
// Options.Output took them.
func (s *Server) Output() string {
	if s.output == nil {
		return ""
	}
	return s.output.String()
}

// Client is connected to the server's namespace. Stop closes it.
func (s *Server) Client() client.Client { return s.dev.Client() }

// FrontendHostPort is the gRPC address: TEMPORAL_ADDRESS for a worker, --address for the CLI.
func (s *Server) FrontendHostPort() string { return s.dev.FrontendHostPort() }

// Namespace is the namespace the client talks to.
func (s *Server) Namespace() string { return s.namespace }

// UIAddress is the Web UI's URL, "" when the UI is off.
func (s *Server) UIAddress() string { return s.uiAddress }

// Show is the package's Show against this server's namespace.
func (s *Server) Show(ctx context.Context, workflowID string) ([]byte, error) {
	return show(ctx, s.FrontendHostPort(), s.namespace, workflowID)
}

// Stop closes the client, interrupts the server and waits for it to exit. It is safe to call
// more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.dev.Client().Close()
		err := s.dev.Stop()
		if err != nil && !isInterruptExit(err) {
			s.stopErr = fmt.Errorf("devserver: stop: %w", err)
		}
	})
	return s.stopErr
}

// isInterruptExit: the CLI may report the SIGINT it was stopped with as its exit status.
func isInterruptExit(err error) bool {
	var exit interface{ ExitCode() int }
	return errors.As(err, &exit) && exit.ExitCode() == 130
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another process may take it before
// the server binds it; on these single-user machines that has not happened.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
