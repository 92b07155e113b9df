package workers

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// ValidUTF8 is a worker interceptor that makes every string an activity
// hands to Temporal valid UTF-8: its error's message, type and cause, its
// error details, its result and its heartbeat details. Invalid bytes are
// written as \xNN. A failure message is a protobuf string, which gRPC
// refuses to marshal when it is not UTF-8: the worker could then never
// report the failure, and the activity would sit "running" until its
// timeout, once per attempt.
func ValidUTF8() interceptor.WorkerInterceptor { return &validUTF8{} }

type validUTF8 struct {
	interceptor.WorkerInterceptorBase
}

func (*validUTF8) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &validUTF8Inbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}}
}

type validUTF8Inbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (i *validUTF8Inbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return i.Next.Init(&validUTF8Outbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}})
}

func (i *validUTF8Inbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := i.Next.ExecuteActivity(ctx, in)
	return validValue(res), validError(err)
}

type validUTF8Outbound struct {
	interceptor.ActivityOutboundInterceptorBase
}

func (o *validUTF8Outbound) RecordHeartbeat(ctx context.Context, details ...any) {
	for i, d := range details {
		details[i] = validValue(d)
	}
	o.Next.RecordHeartbeat(ctx, details...)
}

// validError rebuilds an error whose text is not valid UTF-8 as the same
// kind of application error (type, retryability, details, cause) with the
// invalid bytes escaped. Valid errors pass through untouched.
func validError(err error) error {
	if err == nil || utf8.ValidString(err.Error()) {
		return err
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && error(ae) == err {
		return temporal.NewApplicationErrorWithOptions(frame.EscapeInvalidUTF8(ae.Message()), frame.EscapeInvalidUTF8(ae.Type()), temporal.ApplicationErrorOptions{
			NonRetryable:   ae.NonRetryable(),
			Cause:          validError(ae.Unwrap()),
			Details:        errorDetails(ae),
			NextRetryDelay: ae.NextRetryDelay(),
			Category:       ae.Category(),
		})
	}
	// Any other error reaches Temporal as a retryable application error
	// named after its Go type; keep that, and its cause.
	return temporal.NewApplicationErrorWithOptions(frame.EscapeInvalidUTF8(err.Error()), goErrorType(err), temporal.ApplicationErrorOptions{
		Cause: validError(errors.Unwrap(err)),
	})
}

// goErrorType names an error's type as the SDK does for plain Go errors.
func goErrorType(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(errors.New("")).Elem() {
		return ""
	}
	return t.Name()
}

// maxDetails bounds how many error details are carried over.
const maxDetails = 16

// errorDetails recovers an application error's details as values. The SDK
// offers them only through Details(ptrs...), which fails when asked for
// more than there are: ask for one more until it does.
func errorDetails(ae *temporal.ApplicationError) []any {
	if !ae.HasDetails() {
		return nil
	}
	var out []any
	for n := 1; n <= maxDetails; n++ {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if detailsInto(ae, ptrs) != nil {
			break
		}
		out = vals
	}
	for i, v := range out {
		out[i] = validValue(v)
	}
	return out
}

// detailsInto guards Details, which panics on a nil detail.
func detailsInto(ae *temporal.ApplicationError, ptrs []any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("error details: %v", r)
		}
	}()
	return ae.Details(ptrs...)
}

// maxDepth stops the walk on self-referencing values.
const maxDepth = 32

// validValue returns v unchanged when every string in it (exported struct
// fields, elements, map keys and values, through pointers) is valid UTF-8,
// else a copy with the invalid bytes escaped.
func validValue(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if !hasInvalid(rv, 0) {
		return v
	}
	return fixed(rv, 0).Interface()
}

func hasInvalid(v reflect.Value, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return !utf8.ValidString(v.String())
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasInvalid(v.Elem(), depth+1)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if t.Field(i).IsExported() && hasInvalid(v.Field(i), depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return false // bytes travel as bytes
		}
		for i := 0; i < v.Len(); i++ {
			if hasInvalid(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if hasInvalid(it.Key(), depth+1) || hasInvalid(it.Value(), depth+1) {
				return true
			}
		}
	}
	return false
}

func fixed(v reflect.Value, depth int) reflect.Value {
	if depth > maxDepth || !hasInvalid(v, depth) {
		return v
	}
	t := v.Type()
	switch v.Kind() {
	case reflect.String:
		return reflect.ValueOf(frame.EscapeInvalidUTF8(v.String())).Convert(t)
	case reflect.Pointer:
		out := reflect.New(t.Elem())
		out.Elem().Set(fixed(v.Elem(), depth+1))
		return out
	case reflect.Interface:
		out := reflect.New(t).Elem()
		out.Set(fixed(v.Elem(), depth+1))
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v)
		for i := 0; i < v.NumField(); i++ {
			if t.Field(i).IsExported() {
				out.Field(i).Set(fixed(v.Field(i), depth+1))
			}
		}
		return out
	case reflect.Slice:
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(fixed(v.Index(i), depth+1))
		}
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(fixed(v.Index(i), depth+1))
		}
		return out
	case reflect.Map:
		out := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange()
		for it.Next() {
			out.SetMapIndex(fixed(it.Key(), depth+1), fixed(it.Value(), depth+1))
		}
		return out
	}
	return v
}
