// Package treeeval evaluates gradient-boosted tree ensembles in plain Go,
// so that the gateway serves them without cgo. It reads XGBoost's JSON
// model format, which is what mlpipe carries in a model bundle: the
// document XGBoost's save_model writes to a .json file (and
// XGBoosterSaveModelToBuffer with {"format": "json"}), stored verbatim so
// that XGBoost and the tools that read its models can load it back.
//
// # The format carried in a bundle
//
// A JSON object as XGBoost 1.7 writes it; treeeval reads these members
// and ignores the rest:
//
//	version                                  [major, minor, patch] of the writer
//	learner.objective.name                   binary:logistic, binary:logitraw,
//	                                         multi:softprob or multi:softmax
//	learner.learner_model_param.num_feature  input columns, as a decimal string
//	learner.learner_model_param.num_class    "0" for binary, else the classes
//	learner.learner_model_param.base_score   the global bias in probability
//	                                         space, e.g. "5E-1" (or "[5E-1]")
//	learner.attributes.best_iteration        optional: with early stopping in
//	                                         XGBoost's scikit-learn wrapper,
//	                                         only rounds 0..best_iteration count
//	learner.feature_names                    optional column names
//	learner.gradient_booster.name            "gbtree" (dart and gblinear are refused)
//	learner.gradient_booster.model
//	  .gbtree_model_param.num_parallel_tree  trees per class per round ("1")
//	  .tree_info[t]                          the class (output) tree t adds to
//	  .trees[t]                              one tree, its nodes as parallel arrays:
//	    left_children[i], right_children[i]  child node ids; -1 marks a leaf
//	    split_indices[i]                     the feature column tested at node i
//	    split_conditions[i]                  the threshold at a split; the leaf
//	                                         value (learning rate applied) at a leaf
//	    default_left[i]                      1: a missing value goes left
//	    split_type[i]                        0 numeric (categorical splits, 1,
//	                                         are refused)
//	    base_weights[i]                      the node's weight before the
//	                                         learning rate (not used to predict)
//
// # Prediction
//
// A row x walks every tree from node 0: at a split on column f with
// threshold c it goes left when float32(x[f]) < c, right otherwise, and
// the default_left side when x[f] is NaN (a missing value). Each class's
// margin is base_margin plus the leaves reached by the trees of that
// class, summed in float32 in tree order, as XGBoost's CPU predictor does,
// so the margins equal XGBoost's exactly. base_margin is
// -log(1/base_score - 1) for binary:logistic and base_score for the
// multi-class objectives. Probabilities are the sigmoid of the margin
// (binary) or the softmax over the classes' margins, in float64.
//
// Parse checks the structure before anything is served: children inside
// the tree, every node reached once from the root (no cycles), split
// features below num_feature, finite thresholds and leaf values.
package treeeval
