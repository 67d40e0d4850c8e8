package worker

import (
	"fmt"
	"io"
	"log/slog"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// LogOptions choose the process's log output.
type LogOptions struct {
	// Development writes human-readable console lines; otherwise JSON lines, one object per
	// line, for a log pipeline.
	Development bool
	// Level is "debug", "info" (the default for ""), "warn" or "error".
	Level string
}

// NewLogger builds the process's zap logger writing to w (os.Stderr in the command; a buffer in
// tests that search the logs for a leaked token).
func NewLogger(w io.Writer, opts LogOptions) (*zap.Logger, error) {
	level := zapcore.InfoLevel
	if opts.Level != "" {
		if err := level.UnmarshalText([]byte(opts.Level)); err != nil {
			return nil, fmt.Errorf("worker: log level %q: use debug, info, warn or error", opts.Level)
		}
	}
	var enc zapcore.Encoder
	zopts := []zap.Option{zap.AddCaller()}
	if opts.Development {
		cfg := zap.NewDevelopmentEncoderConfig()
		enc = zapcore.NewConsoleEncoder(cfg)
		zopts = append(zopts, zap.AddStacktrace(zapcore.ErrorLevel), zap.Development())
	} else {
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
		zopts = append(zopts, zap.AddStacktrace(zapcore.ErrorLevel))
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(core, zopts...), nil
}

// sdkLogger bridges zap into the Temporal SDK's logger through slog (the SDK ships no zap
// adapter: sdk-go#704 was closed in favour of slog). The SDK's workflow and activity loggers
// add the workflow ID, run ID, activity type and attempt as fields on every line.
func sdkLogger(z *zap.Logger) log.Logger {
	return log.NewStructuredLogger(slog.New(zapslog.NewHandler(z.Core(), zapslog.WithCaller(true), zapslog.WithName("temporal"))))
}
