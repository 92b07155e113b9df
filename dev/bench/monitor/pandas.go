package main

// pickleScript turns the exported JSON lines of the log into pandas
// pickles, before the clock starts: the fastest load pandas has without a
// Parquet reader.
const pickleScript = `
import sys
import pandas as pd
d = sys.argv[1]
for k in ('inference', 'feedback'):
    pd.read_json(f'{d}/{k}.jsonl', lines=True, dtype=False).to_pickle(f'{d}/{k}.pkl')
`

// pandasScript computes the monitor's statistics on the same records:
// one row per prediction from the request records, the inputs parsed
// from their JSON, data quality against the reference profile and the
// suite, drift of every feature (PSI on the reference's decile bins, KS
// and Wasserstein against its quantiles; chi-squared, Jensen-Shannon and
// the largest share change for categories), the prediction and the
// labels, latency per version and variant, accuracy, F1 and ROC AUC with
// intervals on the joined labels, calibrated CBPE and business figures,
// written as one JSON document.
const pandasScript = `
import sys, json, math
import numpy as np, pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

d = sys.argv[1]
prof = json.load(open(d + '/profile.json'))
ref = {c['name']: c for c in prof['columns']}
cal = json.load(open(d + '/calibration.json'))['isotonic']
req = pd.read_pickle(d + '/inference.pkl')
fb = pd.read_pickle(d + '/feedback.pkl')
lo, hi = pd.Timestamp('2026-12-05T10:00:00Z'), pd.Timestamp('2026-12-05T11:00:00Z')
t = pd.to_datetime(req['time'], utc=True)
req = req[(t >= lo) & (t < hi) & (req['model'] == 'churn-classifier')]
ft = pd.to_datetime(fb['time'], utc=True)
fb = fb[(ft >= lo) & (ft < hi)]

n_per = req['predictions'].str.len().to_numpy()
preds = pd.DataFrame({
    'request_id': np.repeat(req['request_id'].to_numpy(), n_per),
    'row': np.concatenate([np.arange(k) for k in n_per]),
    'version': np.repeat(req['version'].to_numpy(), n_per),
    'variant': np.repeat(req['variant'].to_numpy(), n_per),
    'latency_ms': np.repeat(req['latency_ms'].to_numpy(), n_per),
    'prediction': np.concatenate(req['predictions'].to_numpy()),
    'probability': np.concatenate(req['probability'].to_numpy()).astype(float),
})
X = pd.DataFrame.from_records([r for s in req['inputs'] for r in json.loads(s)])
N = len(X)
out = {'predictions': N, 'violations': [], 'quality': {}, 'drift': {}, 'suite': {}}

def categorical(s, cats):
    counts = s.value_counts()
    keys = sorted(set(cats) | set(counts.index))
    obs = np.array([counts.get(k, 0) for k in keys], float)
    refp = np.array([cats.get(k, 0) for k in keys], float)
    refp = refp / refp.sum()
    exp = np.clip(refp, 1e-6, None)
    exp = exp / exp.sum() * obs.sum()
    chi = stats.chisquare(obs, exp)
    cur = obs / obs.sum()
    js = float(jensenshannon(cur, refp, base=2))
    share = float(np.abs(cur - refp).max())
    return {'chi2': float(chi.statistic), 'p': float(chi.pvalue), 'js': js, 'share_change': share,
            'drifted': bool(chi.pvalue < 0.001 and share >= 0.03)}

for c in X.columns:
    if c not in ref:
        out['violations'].append('feature %s is not in the reference profile' % c)
for name, rc in ref.items():
    if name == 'churned':
        continue
    if name not in X.columns:
        out['violations'].append('reference feature %s is missing' % name)
        continue
    col = X[name]
    nulls = int(col.isna().sum())
    q = {'nulls': nulls, 'null_rate': nulls / N}
    ident = rc['kind'] == 'string' and rc['count'] > 1 and rc['distinct'] >= rc['count']
    if rc['kind'] == 'float':
        num = pd.to_numeric(col, errors='coerce')
        q['wrong_type'] = int(num.isna().sum()) - nulls
        v = num.dropna().to_numpy()
        q['out_of_range'] = int(((v < rc['min']) | (v > rc['max'])).sum())
        e = np.array(rc['edges'], float)
        e[0], e[-1] = -np.inf, np.inf
        cur = np.histogram(v, bins=e)[0] / len(v)
        refc = np.array(rc['counts'], float)
        refc = refc / refc.sum()
        cur_, ref_ = np.clip(cur, 1e-4, None), np.clip(refc, 1e-4, None)
        psi = float(((cur_ - ref_) * np.log(cur_ / ref_)).sum())
        qs = np.array(rc['quantiles'], float)
        probs = np.linspace(0, 1, len(qs))
        ks = stats.kstest(v, lambda x: np.interp(x, qs, probs))
        w1 = float(stats.wasserstein_distance(v, qs))
        out['drift'][name] = {'psi': psi, 'ks': float(ks.statistic), 'p': float(ks.pvalue), 'w1': w1,
                              'drifted': bool(ks.pvalue < 0.001 and w1 / rc['std'] >= 0.1)}
    elif rc['kind'] == 'string':
        s = col.dropna().astype(str)
        cats = {c['value']: c['count'] for c in rc.get('categories', [])}
        if not ident:
            if rc.get('other_count', 0) == 0:
                q['unseen'] = int((~s.isin(list(cats))).sum())
            out['drift'][name] = categorical(s, cats)
    out['quality'][name] = q

age = pd.to_numeric(X['age'], errors='coerce')
mc = pd.to_numeric(X['monthly_charges'], errors='coerce')
sat = pd.to_numeric(X['satisfaction'], errors='coerce')
out['suite'] = {
    'customer_id not null': int(X['customer_id'].isna().sum()),
    'age between 0 and 150': int(((age < 0) | (age > 150)).sum()),
    'status in set': int((~X['status'].dropna().isin(['active', 'inactive'])).sum()),
    'plan in set': int((~X['plan'].dropna().isin(['basic', 'standard', 'premium'])).sum()),
    'monthly_charges between 0 and 500': int(((mc < 0) | (mc > 500)).sum()),
    'satisfaction between 1 and 10': int(((sat < 1) | (sat > 10)).sum()),
}

target = {c['value']: c['count'] for c in ref['churned']['categories']}
out['drift']['prediction'] = categorical(preds['prediction'], target)
labels = fb['label'][fb['label'].notna() & (fb['label'] != '')]
if len(labels):
    out['drift']['label'] = categorical(labels, target)

serving = preds.groupby(['version', 'variant'])['latency_ms'].agg(
    count='count', p50=lambda x: x.quantile(0.5), p99=lambda x: x.quantile(0.99))
out['serving'] = serving.reset_index().to_dict('records')

latest = fb.sort_values('time').drop_duplicates(['request_id', 'row'], keep='last')
j = preds.merge(latest[['request_id', 'row', 'label', 'value']], on=['request_id', 'row'])
j = j[j['label'].notna() & (j['label'] != '') & np.isfinite(j['probability'])]
y = (j['label'] == 'yes').to_numpy()
p = j['probability'].to_numpy()
yhat = p > 0.5
n = len(y)
tp, fp, fn = int((y & yhat).sum()), int((~y & yhat).sum()), int((y & ~yhat).sum())
acc = float((y == yhat).mean())
z = 1.959964
den = 1 + z * z / n
mid = (acc + z * z / (2 * n)) / den
half = z * math.sqrt(acc * (1 - acc) / n + z * z / (4 * n * n)) / den
f1 = 2 * tp / (2 * tp + fp + fn)
n1, n0 = int(y.sum()), int((~y).sum())
auc = float(stats.mannwhitneyu(p[y], p[~y]).statistic) / (n1 * n0)
q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
se = math.sqrt((auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n0 - 1) * (q2 - auc * auc)) / (n1 * n0))
out['realised'] = {'accuracy': [acc, mid - half, mid + half], 'f1': f1, 'roc_auc': [auc, auc - z * se, auc + z * se]}

pr = preds['probability'].to_numpy()
pr = pr[np.isfinite(pr)]
pc = np.interp(pr, cal['x'], cal['y'])
pos = pr > 0.5
etp, efp, efn, etn = pc[pos].sum(), (1 - pc[pos]).sum(), pc[~pos].sum(), (1 - pc[~pos]).sum()
v = pc * (1 - pc)
out['estimated'] = {'accuracy': float((etp + etn) / len(pr)), 'accuracy_se': float(math.sqrt(v.sum()) / len(pr)),
                    'f1': float(2 * etp / (2 * etp + efp + efn))}

b = j.assign(conv=(j['label'] == 'yes')).groupby('variant').agg(feedback=('label', 'count'), conversions=('conv', 'sum'), value=('value', 'sum'))
b['predictions'] = preds.groupby('variant').size()
b['conversion_rate'] = b['conversions'] / b['feedback']
b['value_per_prediction'] = b['value'] / b['predictions']
out['business'] = b.reset_index().to_dict('records')

doc = json.dumps(out, default=float)
print(N, 'predictions', n, 'joined', 'f1 %.4f' % f1, 'estimated f1 %.4f' % out['estimated']['f1'], len(doc), 'bytes')
`
