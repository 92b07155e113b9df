//go:build cgo && !noxgboost

package gbt

/*
#cgo LDFLAGS: -lxgboost
#include <stdlib.h>
#include <xgboost/c_api.h>

extern void goXGBoostLog(char*);
static int registerLog(void) { return XGBRegisterLogCallback((void (*)(const char*))goXGBoostLog); }

// batch is the one batch of rows a QuantileDMatrix is built from; next
// hands it to XGBoost's proxy on the first call and ends on the second.
typedef struct {
	char const *data;
	float const *label;
	float const *weight;
	bst_ulong rows;
	DMatrixHandle proxy;
	int done;
	int failed;
} mlpipe_batch;

static void mlpipe_reset(DataIterHandle h) { ((mlpipe_batch *)h)->done = 0; }

static int mlpipe_next(DataIterHandle h) {
	mlpipe_batch *b = (mlpipe_batch *)h;
	if (b->done) {
		return 0;
	}
	b->done = 1;
	if (XGProxyDMatrixSetDataDense(b->proxy, b->data) != 0 ||
	    XGDMatrixSetFloatInfo(b->proxy, "label", b->label, b->rows) != 0 ||
	    (b->weight != NULL && XGDMatrixSetFloatInfo(b->proxy, "weight", b->weight, b->rows) != 0)) {
		b->failed = 1;
		return 0;
	}
	return 1;
}

static int mlpipe_quantile_dmatrix(mlpipe_batch *b, DMatrixHandle ref, char const *config, DMatrixHandle *out) {
	return XGQuantileDMatrixCreateFromCallback(b, b->proxy, ref, mlpipe_reset, mlpipe_next, config, out);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Available reports whether this build trains with XGBoost (cgo and
// libxgboost); without them Train and Predict return ErrUnavailable.
const Available = true

// LibraryVersion is the linked XGBoost's version, e.g. "1.7.4".
func LibraryVersion() string {
	var major, minor, patch C.int
	C.XGBoostVersion(&major, &minor, &patch)
	return fmt.Sprintf("%d.%d.%d", major, minor, patch)
}

// onThread runs f on a goroutine locked to a fresh OS thread that exits
// with it. XGBoost keeps its last error, its random engine and the buffers
// it returns in thread-local storage, so every call of one training must
// come from one thread; the thread's exit frees those and its OpenMP team.
func onThread(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		// The log callback is per thread too: route this thread's lines
		// through slog (logs.go).
		if C.registerLog() != 0 {
			slog.Debug("xgboost: log callback not registered; its lines go to stderr")
		}
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("xgboost: panic: %v", r)
			}
		}()
		done <- f()
	}()
	return <-done
}

// check turns an XGBoost return code into an error carrying the library's
// message. It must run on the thread that made the call (see onThread).
func check(rc C.int, what string) error {
	if rc == 0 {
		return nil
	}
	msg := C.GoString(C.XGBGetLastError())
	// The message carries a native stack trace after its first line.
	if i := strings.Index(msg, "Stack trace:"); i >= 0 {
		msg = msg[:i]
	}
	// Errors may cross Temporal, which needs valid UTF-8.
	return fmt.Errorf("xgboost %s: %s", what, strings.ToValidUTF8(strings.TrimSpace(msg), "?"))
}

// arrayInterface describes a pinned row-major matrix in NumPy's
// __array_interface__ form, which XGBoost reads without a copy on our side.
func arrayInterface[T float32 | float64](X []T, rows, cols int) string {
	typ := "<f8"
	var zero T
	if unsafe.Sizeof(zero) == 4 {
		typ = "<f4"
	}
	return fmt.Sprintf(`{"data":[%d,true],"shape":[%d,%d],"typestr":%q,"version":3}`,
		uintptr(unsafe.Pointer(unsafe.SliceData(X))), rows, cols, typ)
}

// cstring is s in C memory; free it with C.free.
func cstring(s string) *C.char { return C.CString(s) }

// live counts the DMatrix and Booster handles not yet freed, so tests
// can check that every path frees what it creates.
var live atomic.Int64

// dmatrix is an XGBoost DMatrix handle.
type dmatrix struct{ h C.DMatrixHandle }

// newDMatrix bins X (rows × cols, NaN for missing) into a QuantileDMatrix
// with labels and weights: XGBoost's hist index alone, 1 byte a value,
// without the 8-byte copy of every value a plain DMatrix keeps (what
// XGBoost's scikit-learn wrapper does for hist). A validation matrix
// passes the training one as ref, to take its bin edges. X, y and w are
// pinned while XGBoost reads them through the addresses it is given.
func newDMatrix[T float32 | float64](X []T, rows, cols int, y, w []float32, nthread, maxBin int, ref *dmatrix) (*dmatrix, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(unsafe.SliceData(X))
	pin.Pin(unsafe.SliceData(y))
	b := (*C.mlpipe_batch)(C.calloc(1, C.size_t(unsafe.Sizeof(C.mlpipe_batch{}))))
	defer C.free(unsafe.Pointer(b))
	b.data = cstring(arrayInterface(X, rows, cols))
	defer C.free(unsafe.Pointer(b.data))
	b.label = (*C.float)(unsafe.Pointer(unsafe.SliceData(y)))
	if w != nil {
		pin.Pin(unsafe.SliceData(w))
		b.weight = (*C.float)(unsafe.Pointer(unsafe.SliceData(w)))
	}
	b.rows = C.bst_ulong(rows)
	if err := check(C.XGProxyDMatrixCreate(&b.proxy), "create proxy DMatrix"); err != nil {
		return nil, err
	}
	defer C.XGDMatrixFree(b.proxy)
	cfg := cstring(fmt.Sprintf(`{"missing":NaN,"nthread":%d,"max_bin":%d}`, nthread, maxBin))
	defer C.free(unsafe.Pointer(cfg))
	var refHandle C.DMatrixHandle
	if ref != nil {
		refHandle = ref.h
	}
	d := &dmatrix{}
	err := check(C.mlpipe_quantile_dmatrix(b, refHandle, cfg, &d.h), "create QuantileDMatrix")
	if err == nil && b.failed != 0 {
		C.XGDMatrixFree(d.h)
		err = check(-1, "hand rows to XGBoost")
	}
	if err != nil {
		return nil, err
	}
	live.Add(1)
	return d, nil
}

func (d *dmatrix) free() {
	if d != nil && d.h != nil {
		C.XGDMatrixFree(d.h)
		d.h = nil
		live.Add(-1)
	}
}

// booster is an XGBoost Booster handle.
type booster struct{ h C.BoosterHandle }

// newBooster creates a booster that caches predictions for dms.
func newBooster(dms ...*dmatrix) (*booster, error) {
	handles := make([]C.DMatrixHandle, 0, len(dms))
	for _, d := range dms {
		handles = append(handles, d.h)
	}
	// The handle array lives in C memory: it holds pointers XGBoost owns.
	arr := (*C.DMatrixHandle)(C.malloc(C.size_t(max(1, len(handles))) * C.size_t(unsafe.Sizeof(C.DMatrixHandle(nil)))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, len(handles)), handles)
	b := &booster{}
	if err := check(C.XGBoosterCreate(arr, C.bst_ulong(len(handles)), &b.h), "create booster"); err != nil {
		return nil, err
	}
	live.Add(1)
	return b, nil
}

func (b *booster) free() {
	if b != nil && b.h != nil {
		C.XGBoosterFree(b.h)
		b.h = nil
		live.Add(-1)
	}
}

func (b *booster) set(name, value string) error {
	n, v := cstring(name), cstring(value)
	defer C.free(unsafe.Pointer(n))
	defer C.free(unsafe.Pointer(v))
	return check(C.XGBoosterSetParam(b.h, n, v), "set "+name)
}

func (b *booster) setAttr(name string, value *string) error {
	n := cstring(name)
	defer C.free(unsafe.Pointer(n))
	var v *C.char
	if value != nil {
		v = cstring(*value)
		defer C.free(unsafe.Pointer(v))
	}
	return check(C.XGBoosterSetAttr(b.h, n, v), "set attribute "+name)
}

func (b *booster) attr(name string) (string, bool, error) {
	n := cstring(name)
	defer C.free(unsafe.Pointer(n))
	var out *C.char
	var ok C.int
	if err := check(C.XGBoosterGetAttr(b.h, n, &out, &ok), "get attribute "+name); err != nil {
		return "", false, err
	}
	if ok == 0 {
		return "", false, nil
	}
	return C.GoString(out), true, nil
}

func (b *booster) load(model []byte) error {
	if len(model) == 0 {
		return errors.New("xgboost load model: the model is empty")
	}
	buf := C.CBytes(model)
	defer C.free(buf)
	return check(C.XGBoosterLoadModelFromBuffer(b.h, buf, C.bst_ulong(len(model))), "load model")
}

// save returns the model in XGBoost's JSON format (save_model).
func (b *booster) save() ([]byte, error) {
	cfg := cstring(`{"format":"json"}`)
	defer C.free(unsafe.Pointer(cfg))
	var n C.bst_ulong
	var out *C.char
	if err := check(C.XGBoosterSaveModelToBuffer(b.h, cfg, &n, &out), "save model"); err != nil {
		return nil, err
	}
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}

func (b *booster) rounds() (int, error) {
	var n C.int
	if err := check(C.XGBoosterBoostedRounds(b.h, &n), "boosted rounds"); err != nil {
		return 0, err
	}
	return int(n), nil
}

func (b *booster) updateOneIter(iter int, train *dmatrix) error {
	return check(C.XGBoosterUpdateOneIter(b.h, C.int(iter), train.h), "train round "+strconv.Itoa(iter))
}

// eval returns the first metric of round iter on d, at full precision.
func (b *booster) eval(iter int, d *dmatrix, name string) (float64, error) {
	arr := (*C.DMatrixHandle)(C.malloc(C.size_t(unsafe.Sizeof(C.DMatrixHandle(nil)))))
	defer C.free(unsafe.Pointer(arr))
	*arr = d.h
	names := (**C.char)(C.malloc(C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	defer C.free(unsafe.Pointer(names))
	cname := cstring(name)
	defer C.free(unsafe.Pointer(cname))
	*names = cname
	var out *C.char
	if err := check(C.XGBoosterEvalOneIter(b.h, C.int(iter), arr, names, 1, &out), "evaluate round "+strconv.Itoa(iter)); err != nil {
		return 0, err
	}
	// "[iter]\tname-metric:value"
	s := C.GoString(out)
	i := strings.LastIndexByte(s, ':')
	v, err := strconv.ParseFloat(strings.TrimSpace(s[i+1:]), 64)
	if i < 0 || err != nil {
		return 0, fmt.Errorf("xgboost evaluate round %d: cannot read %q", iter, s)
	}
	return v, nil
}

// slice returns a new booster with rounds [0, end).
func (b *booster) slice(end int) (*booster, error) {
	out := &booster{}
	if err := check(C.XGBoosterSlice(b.h, 0, C.int(end), 1, &out.h), "slice model"); err != nil {
		return nil, err
	}
	live.Add(1)
	return out, nil
}

// predict returns the probabilities of X's rows: one per row for a binary
// model, classes per row for a multi-class one.
func (b *booster) predict(X []float64, rows, cols int) ([]float64, error) {
	// A best_iteration attribute (early stopping in XGBoost's scikit-learn
	// wrapper) limits the rounds that predict, as package treeeval does.
	end := 0
	if bi, ok, err := b.attr("best_iteration"); err != nil {
		return nil, err
	} else if ok {
		if end, err = strconv.Atoi(bi); err != nil {
			return nil, fmt.Errorf("xgboost predict: attribute best_iteration is %q; want a whole number", bi)
		}
		end++
	}
	var pin runtime.Pinner
	pin.Pin(unsafe.SliceData(X))
	defer pin.Unpin()
	data := cstring(arrayInterface(X, rows, cols))
	defer C.free(unsafe.Pointer(data))
	cfg := cstring(fmt.Sprintf(`{"type":0,"training":false,"cache_id":0,"iteration_begin":0,"iteration_end":%d,"strict_shape":false,"missing":NaN}`, end))
	defer C.free(unsafe.Pointer(cfg))
	var shape *C.bst_ulong
	var dim C.bst_ulong
	var out *C.float
	if err := check(C.XGBoosterPredictFromDense(b.h, data, cfg, nil, &shape, &dim, &out), "predict"); err != nil {
		return nil, err
	}
	n := 1
	for _, s := range unsafe.Slice(shape, int(dim)) {
		n *= int(s)
	}
	res := make([]float64, n)
	for i, v := range unsafe.Slice(out, n) {
		res[i] = float64(v)
	}
	return res, nil
}
