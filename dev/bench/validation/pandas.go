package main

// pandasScript does the same checks with pandas, as a Great Expectations
// pandas backend would: per check the element, missing and unexpected
// counts, and up to 20 unexpected values of a failing one.
const pandasScript = `
import os, re, sys, json
import pandas as pd
df = pd.read_csv(sys.argv[1], parse_dates=["last_activity"])
n = len(df)
out = []
def per_row(col, ok):
    s = df[col]
    nn = s.notna()
    bad = nn & ~ok(s)
    cnt = int(bad.sum())
    r = {"element_count": n, "missing_count": int((~nn).sum()), "unexpected_count": cnt,
         "unexpected_percent": 100.0 * cnt / max(int(nn.sum()), 1)}
    if cnt:
        r["partial_unexpected_list"] = s[bad].head(20).astype(str).tolist()
    out.append(r)
def not_null(col):
    nulls = int(df[col].isna().sum())
    out.append({"element_count": n, "unexpected_count": nulls})
not_null("customer_id")
dup = df["customer_id"].duplicated(keep=False) & df["customer_id"].notna()
out.append({"unexpected_count": int(dup.sum())})
per_row("age", lambda s: s.between(18, 85))
per_row("status", lambda s: s.isin(["active", "inactive"]))
per_row("plan", lambda s: s.isin(["basic", "standard", "premium"]))
per_row("tenure_months", lambda s: s.between(1, 72))
per_row("monthly_charges", lambda s: s.between(0, 200))
out.append({"observed_value": float(df["monthly_charges"].mean())})
out.append({"observed_value": float(df["support_calls"].max())})
per_row("customer_id", lambda s: s.astype(str).str.contains(r"^C[0-9]{6}$", regex=True))
per_row("email", lambda s: s.astype(str).str.contains(r"^[a-z0-9.]+@[a-z]+\.com$", regex=True))
out.append({"observed_value": n})
per_row("churned", lambda s: s.isin(["yes", "no"]))
not_null("last_activity")
out.append({"observed_value": str(df["last_activity"].max())})
if os.environ.get("MLPIPE_BENCH_DISTINCT") == "1":
  emails = df["email"].dropna()
  out.append({"observed_value": emails.nunique() / max(len(emails), 1)})
  ids = pd.Series(df["customer_id"].dropna().unique()).sort_values()
  outside = ids[~ids.isin(["C000000001", "C000000002"])]
  out.append({"observed_value": ids.head(50).tolist(), "distinct_count": len(ids),
              "unexpected_count": len(outside), "partial_unexpected_list": outside.head(20).tolist()})
print(len(json.dumps(out)))
`
