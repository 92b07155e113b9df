package treeeval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Objectives treeeval serves.
const (
	ObjectiveBinaryLogistic = "binary:logistic"
	ObjectiveBinaryLogitRaw = "binary:logitraw"
	ObjectiveMultiSoftprob  = "multi:softprob"
	ObjectiveMultiSoftmax   = "multi:softmax"
)

// node is one tree node in the flat array every tree shares. A split's
// children sit side by side, right = left+1, so the walk picks one
// without a branch. A leaf points back at itself: it tests the always-0
// scratch column Features against +Inf and goes "left", to itself, so a
// walk may take more steps than the leaf's depth; its value's bits are in
// missing.
type node struct {
	cond    float32
	feat    int32
	left    int32
	missing int32
}

// leafValue is a leaf node's value.
func (n *node) leafValue() float32 { return math.Float32frombits(uint32(n.missing)) }

// Model is a parsed ensemble, ready to predict. It is immutable and safe
// for concurrent use.
type Model struct {
	objective string
	classes   int
	// outputs is the number of margins: 1 for the binary objectives, else
	// one per class (multi:softprob with num_class 2 has two).
	outputs  int
	features int
	names    []string
	// base is each output's starting margin.
	base []float32
	// nodes holds every tree's nodes; roots[t] is tree t's first node,
	// depth[t] its depth (a walk of that many steps ends on a leaf) and
	// group[t] the output it adds to.
	nodes []node
	roots []int32
	depth []int32
	group []int32
	// raw is the document as parsed, written back by MarshalJSON.
	raw []byte
}

// wire is the part of XGBoost's JSON model that treeeval reads.
type wire struct {
	Version []int `json:"version"`
	Learner *struct {
		Attributes      map[string]string `json:"attributes"`
		FeatureNames    []string          `json:"feature_names"`
		GradientBooster json.RawMessage   `json:"gradient_booster"`
		ModelParam      struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
	} `json:"learner"`
}

type wireBooster struct {
	Name  string `json:"name"`
	Model struct {
		Param struct {
			NumParallelTree string `json:"num_parallel_tree"`
		} `json:"gbtree_model_param"`
		TreeInfo []int32    `json:"tree_info"`
		Trees    []wireTree `json:"trees"`
	} `json:"model"`
}

type wireTree struct {
	LeftChildren    []int32   `json:"left_children"`
	RightChildren   []int32   `json:"right_children"`
	SplitIndices    []int32   `json:"split_indices"`
	SplitConditions []float32 `json:"split_conditions"`
	DefaultLeft     []int32   `json:"default_left"`
	SplitType       []int32   `json:"split_type"`
}

// Parse reads an XGBoost JSON model (see the package doc) and checks it.
// Errors say which member is wrong, and which tree and node.
func Parse(data []byte) (*Model, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("xgboost model: not a JSON object; save the model as JSON (booster.save_model(\"model.json\")), not the binary or UBJSON format")
	}
	var w wire
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return nil, fmt.Errorf("xgboost model: %w", err)
	}
	if w.Learner == nil {
		return nil, fmt.Errorf("xgboost model: no \"learner\" member; this is not an XGBoost JSON model")
	}
	l := w.Learner
	m := &Model{objective: l.Objective.Name, names: l.FeatureNames, raw: append([]byte(nil), trimmed...)}
	var err error
	if m.features, err = positive("learner.learner_model_param.num_feature", l.ModelParam.NumFeature); err != nil {
		return nil, err
	}
	numClass := 0
	if l.ModelParam.NumClass != "" {
		if numClass, err = strconv.Atoi(l.ModelParam.NumClass); err != nil || numClass < 0 {
			return nil, fmt.Errorf("xgboost model: learner.learner_model_param.num_class is %q; want a whole number", l.ModelParam.NumClass)
		}
	}
	switch m.objective {
	case ObjectiveBinaryLogistic, ObjectiveBinaryLogitRaw:
		if numClass > 1 {
			return nil, fmt.Errorf("xgboost model: objective %s with num_class %d; a binary model has num_class 0", m.objective, numClass)
		}
		m.classes, m.outputs = 2, 1
	case ObjectiveMultiSoftprob, ObjectiveMultiSoftmax:
		if numClass < 2 {
			return nil, fmt.Errorf("xgboost model: objective %s needs num_class >= 2, got %d", m.objective, numClass)
		}
		m.classes, m.outputs = numClass, numClass
	default:
		return nil, fmt.Errorf("xgboost model: objective %q is not a classifier mlpipe serves; use %s (binary) or %s (multi-class)",
			m.objective, ObjectiveBinaryLogistic, ObjectiveMultiSoftprob)
	}
	if m.base, err = baseMargin(l.ModelParam.BaseScore, m.objective, m.outputs); err != nil {
		return nil, err
	}
	var gb wireBooster
	if err := json.Unmarshal(l.GradientBooster, &gb); err != nil {
		return nil, fmt.Errorf("xgboost model: learner.gradient_booster: %w", err)
	}
	if gb.Name != "gbtree" {
		return nil, fmt.Errorf("xgboost model: booster %q is not supported; mlpipe serves gbtree models (booster=\"gbtree\")", gb.Name)
	}
	trees := gb.Model.Trees
	if len(gb.Model.TreeInfo) != len(trees) {
		return nil, fmt.Errorf("xgboost model: %d trees but tree_info has %d entries", len(trees), len(gb.Model.TreeInfo))
	}
	keep, err := keptTrees(l.Attributes, gb.Model.Param.NumParallelTree, m.outputs, len(trees))
	if err != nil {
		return nil, err
	}
	for t, tr := range trees[:keep] {
		g := gb.Model.TreeInfo[t]
		if g < 0 || int(g) >= m.outputs {
			return nil, fmt.Errorf("xgboost model: tree_info[%d] is %d; outputs are 0..%d", t, g, m.outputs-1)
		}
		if err := m.addTree(t, tr); err != nil {
			return nil, err
		}
		m.group = append(m.group, g)
	}
	return m, nil
}

// positive reads a decimal string member that must be >= 1.
func positive(name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("xgboost model: %s is %q; want a whole number >= 1", name, s)
	}
	return n, nil
}

// baseMargin turns base_score (probability space) into each output's
// starting margin, in float32 as XGBoost computes it.
func baseMargin(s, objective string, outputs int) ([]float32, error) {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if s == "" {
		s = "0.5" // XGBoost's default when the member is absent
	}
	first, _, _ := strings.Cut(s, ",")
	v, err := strconv.ParseFloat(strings.TrimSpace(first), 32)
	if err != nil {
		return nil, fmt.Errorf("xgboost model: learner.learner_model_param.base_score is %q; want a number", s)
	}
	b := float32(v)
	if objective == ObjectiveBinaryLogistic {
		if !(b > 0 && b < 1) {
			return nil, fmt.Errorf("xgboost model: base_score is %v; binary:logistic needs 0 < base_score < 1", b)
		}
		b = float32(-math.Log(float64(1/b - 1)))
	}
	out := make([]float32, outputs)
	for i := range out {
		out[i] = b
	}
	return out, nil
}

// keptTrees is how many leading trees predict: all of them, or with a
// best_iteration attribute (early stopping in XGBoost's scikit-learn
// wrapper) the trees of rounds 0..best_iteration.
func keptTrees(attrs map[string]string, parallel string, outputs, n int) (int, error) {
	perRound := outputs
	if parallel != "" {
		p, err := positive("gbtree_model_param.num_parallel_tree", parallel)
		if err != nil {
			return 0, err
		}
		perRound *= p
	}
	bi, ok := attrs["best_iteration"]
	if !ok {
		return n, nil
	}
	best, err := strconv.Atoi(bi)
	if err != nil || best < 0 {
		return 0, fmt.Errorf("xgboost model: attribute best_iteration is %q; want a whole number >= 0", bi)
	}
	return min(n, (best+1)*perRound), nil
}

// addTree checks tree t and appends its nodes, laid out breadth first
// with each split's children next to each other.
func (m *Model) addTree(t int, tr wireTree) error {
	n := len(tr.LeftChildren)
	switch {
	case n == 0:
		return fmt.Errorf("xgboost model: tree %d has no nodes", t)
	case len(tr.RightChildren) != n || len(tr.SplitIndices) != n || len(tr.SplitConditions) != n || len(tr.DefaultLeft) != n:
		return fmt.Errorf("xgboost model: tree %d: left_children, right_children, split_indices, split_conditions and default_left must have one entry per node (%d)", t, n)
	case len(tr.SplitType) != 0 && len(tr.SplitType) != n:
		return fmt.Errorf("xgboost model: tree %d: split_type has %d entries for %d nodes", t, len(tr.SplitType), n)
	}
	off := int32(len(m.nodes))
	m.roots = append(m.roots, off)
	seen := make([]bool, n)
	seen[0] = true
	// queue holds XGBoost node ids in the order they are placed: node
	// queue[k] goes to m.nodes[off+k].
	queue := []int32{0}
	level := []int32{0}
	depth := int32(0)
	for k := 0; k < len(queue); k++ {
		i := queue[k]
		depth = max(depth, level[k])
		c := tr.SplitConditions[i]
		if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
			return fmt.Errorf("xgboost model: tree %d node %d: split_conditions is %v; want a finite number", t, i, c)
		}
		l, r := tr.LeftChildren[i], tr.RightChildren[i]
		if l == -1 {
			self := off + int32(k)
			m.nodes = append(m.nodes, node{cond: float32(math.Inf(1)), feat: int32(m.features), left: self, missing: int32(math.Float32bits(c))})
			continue
		}
		if len(tr.SplitType) > 0 && tr.SplitType[i] != 0 {
			return fmt.Errorf("xgboost model: tree %d node %d is a categorical split; mlpipe serves numeric splits only (one-hot encode categories in the transform)", t, i)
		}
		f := tr.SplitIndices[i]
		if f < 0 || int(f) >= m.features {
			return fmt.Errorf("xgboost model: tree %d node %d splits on feature %d; the model has num_feature %d", t, i, f, m.features)
		}
		for _, ch := range [2]int32{l, r} {
			if ch < 0 || int(ch) >= n {
				return fmt.Errorf("xgboost model: tree %d node %d has child %d; node ids are 0..%d", t, i, ch, n-1)
			}
			if seen[ch] {
				return fmt.Errorf("xgboost model: tree %d node %d is reached twice; the nodes do not form a tree", t, ch)
			}
			seen[ch] = true
		}
		left := off + int32(len(queue))
		queue = append(queue, l, r)
		level = append(level, level[k]+1, level[k]+1)
		missing := left + 1
		if tr.DefaultLeft[i] != 0 {
			missing = left
		}
		m.nodes = append(m.nodes, node{cond: c, feat: f, left: left, missing: missing})
	}
	m.depth = append(m.depth, depth)
	return nil
}

// Classes is the number of classes: 2 for a binary model.
func (m *Model) Classes() int { return m.classes }

// Features is the number of input columns.
func (m *Model) Features() int { return m.features }

// Outputs is the number of margins a row gets: 1 for a binary objective,
// else one per class; RowProba's z has this length.
func (m *Model) Outputs() int { return m.outputs }

// Trees is the number of trees that predict.
func (m *Model) Trees() int { return len(m.roots) }

// Objective is the model's XGBoost objective.
func (m *Model) Objective() string { return m.objective }

// FeatureNames are the column names saved with the model, if any.
func (m *Model) FeatureNames() []string { return m.names }

// MarshalJSON writes the XGBoost JSON document the model was parsed from,
// so a bundle holding a *Model round-trips byte for byte.
func (m *Model) MarshalJSON() ([]byte, error) {
	if m == nil || m.raw == nil {
		return []byte("null"), nil
	}
	return m.raw, nil
}

// UnmarshalJSON parses an XGBoost JSON model into m (see Parse).
func (m *Model) UnmarshalJSON(b []byte) error {
	p, err := Parse(b)
	if err != nil {
		return err
	}
	*m = *p
	return nil
}
