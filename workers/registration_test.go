package workers_test

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/workers"
)

// Every activity method is registered on exactly one of the two workers,
// under its method's name (the name the workflows schedule it by): an
// activity added without a registration, or registered twice, fails here
// instead of leaving its workflows waiting on a queue nobody serves.
func TestEveryActivityIsRegisteredOnceUnderItsMethodName(t *testing.T) {
	acts := &activities.Activities{}
	got := map[string]int{}
	for _, fn := range append(workers.CPUActivities(acts), workers.GPUActivities(acts)...) {
		name := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
		name = strings.TrimSuffix(name[strings.LastIndex(name, ".")+1:], "-fm")
		got[name]++
	}
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	typ := reflect.TypeOf(acts)
	var want int
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		ft := m.Type // the receiver is In(0)
		if ft.NumIn() != 3 || ft.In(1) != ctxType || ft.NumOut() != 2 || ft.Out(1) != errType {
			continue
		}
		want++
		assert.Equal(t, 1, got[m.Name], "activity %s is registered on exactly one worker", m.Name)
		delete(got, m.Name)
	}
	assert.Empty(t, got, "registered functions that are not activity methods of *activities.Activities")
	assert.Greater(t, want, 10, "the activity methods were found")
}
