package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/reflect/protoreflect"

	"hibobsync/workflows"
)

// runHistory is what the benchmark reads from one workflow run's history: its size, its
// largest payload and its activities' timings.
type runHistory struct {
	events       int
	maxPayload   int    // bytes of the largest Payload's data
	maxPayloadAt string // in which event
	acts         []*activityRec
}

type activityRec struct {
	name                       string
	scheduled, started, closed time.Time
}

func (e *env) history(workflowID, runID string) runHistory {
	var h runHistory
	byID := map[int64]*activityRec{}
	iter := e.tc.GetWorkflowHistory(e.ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		e.noError(err, "read the history of run "+runID)
		h.events++
		if n := largestPayload(ev.ProtoReflect()); n > h.maxPayload {
			h.maxPayload = n
			h.maxPayloadAt = strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_")
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
				h.maxPayloadAt += " " + a.GetActivityType().GetName()
			}
		}
		at := ev.GetEventTime().AsTime()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			r := &activityRec{name: ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName(), scheduled: at}
			byID[ev.GetEventId()] = r
			h.acts = append(h.acts, r)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			if r := byID[ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()]; r != nil {
				r.started = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			if r := byID[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]; r != nil {
				r.closed = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			if r := byID[ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()]; r != nil {
				r.closed = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			if r := byID[ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()]; r != nil {
				r.closed = at
			}
		}
	}
	return h
}

// largestPayload is the size of the largest Payload's data anywhere in m.
func largestPayload(m protoreflect.Message) int {
	if p, ok := m.Interface().(*commonpb.Payload); ok {
		return len(p.GetData())
	}
	most := 0
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			if fd.Message() != nil {
				l := v.List()
				for i := range l.Len() {
					most = max(most, largestPayload(l.Get(i).Message()))
				}
			}
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					most = max(most, largestPayload(mv.Message()))
					return true
				})
			}
		case fd.Message() != nil:
			most = max(most, largestPayload(v.Message()))
		}
		return true
	})
	return most
}

// of are the run's activities of these types.
func (h runHistory) of(names ...string) []*activityRec {
	var out []*activityRec
	for _, r := range h.acts {
		if slices.Contains(names, r.name) {
			out = append(out, r)
		}
	}
	return out
}

// span is from the first of the activities' scheduling to the last one's close.
func span(acts []*activityRec) time.Duration {
	if len(acts) == 0 {
		return 0
	}
	first, last := acts[0].scheduled, acts[0].closed
	for _, r := range acts {
		if r.scheduled.Before(first) {
			first = r.scheduled
		}
		if r.closed.After(last) {
			last = r.closed
		}
	}
	return last.Sub(first)
}

// busy is the activities' summed running time, started to closed.
func (h runHistory) busy(names ...string) time.Duration {
	var d time.Duration
	for _, r := range h.of(names...) {
		if !r.started.IsZero() && !r.closed.IsZero() {
			d += r.closed.Sub(r.started)
		}
	}
	return d
}

// searchSpan is the time of the run's people searches: from the listing's start to the last
// employee batch's end.
func (h runHistory) searchSpan() time.Duration {
	list, fetch := h.of("ListEmployees"), h.of("FetchEmployees")
	if len(list) == 0 || len(fetch) == 0 {
		return 0
	}
	first := list[0].started
	last := fetch[0].closed
	for _, r := range fetch {
		if r.closed.After(last) {
			last = r.closed
		}
	}
	return last.Sub(first)
}

// breakdown tells where a sync cycle's time went, from its history.
func (h runHistory) breakdown(rep workflows.SyncReport) string {
	total := rep.FinishedAt.Sub(rep.StartedAt)
	start, list := h.of("StartRun"), h.of("ListEmployees")
	emps, hist, apply := h.of("FetchEmployees"), h.of("FetchHistory"), h.of("ApplyRun")
	fetchAll := span(append(append(slices.Clone(list), emps...), hist...))
	return fmt.Sprintf("%s = start run %s, list %s, fetch batches %s (%d activities, busy %s), histories %s (%d activities), list→fetched %s; apply %s (busy %s); %d events",
		secs(total), secs(span(start)), secs(span(list)), secs(span(emps)), len(emps), secs(h.busy("FetchEmployees")),
		secs(span(hist)), len(hist), secs(fetchAll), secs(span(apply)), secs(h.busy("ApplyRun")), h.events)
}
