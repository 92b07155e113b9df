package main

import (
	"fmt"
	"os"

	"github.com/mlpipe/mlpipe/internal/expect"
)

func fp(v float64) *float64 { return &v }

// envDistinct, set by -distinct for the children, adds the two checks
// that count a column's distinct values (one per row here) to the suite.
const envDistinct = "MLPIPE_BENCH_DISTINCT"

func withDistinct() bool { return os.Getenv(envDistinct) == "1" }

// suite is the checks every side runs: the 15 (14 expectations and
// freshness), two of which fail on this data (ages are clamped to [18, 90],
// so a max of 85 fails for some rows; the regex on customer_id wants 6
// digits and the IDs have 9), so samples of failures are part of the work,
// as they are for a user. With -distinct, two more count distinct values,
// one per row: the proportion of unique emails, and customer_id's distinct
// values against a set (which fails).
func suite() ([]expect.Expectation, expect.Checks) {
	exps := []expect.Expectation{
		{Type: expect.ValuesNotNull, Column: "customer_id"},
		{Type: expect.ValuesUnique, Column: "customer_id"},
		{Type: expect.ValuesBetween, Column: "age", Min: fp(18), Max: fp(85)},
		{Type: expect.ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}},
		{Type: expect.ValuesInSet, Column: "plan", ValueSet: []string{"basic", "standard", "premium"}},
		{Type: expect.ValuesBetween, Column: "tenure_months", Min: fp(1), Max: fp(72)},
		{Type: expect.ValuesBetween, Column: "monthly_charges", Min: fp(0), Max: fp(200)},
		{Type: expect.MeanBetween, Column: "monthly_charges", Min: fp(40), Max: fp(80)},
		{Type: expect.MaxBetween, Column: "support_calls", Max: fp(20)},
		{Type: expect.ValuesMatchRegex, Column: "customer_id", Regex: `^C[0-9]{6}$`},
		{Type: expect.ValuesMatchRegex, Column: "email", Regex: `^[a-z0-9.]+@[a-z]+\.com$`},
		{Type: expect.TableRowCountBetween, Min: fp(1000)},
		{Type: expect.ValuesInSet, Column: "churned", ValueSet: []string{"yes", "no"}},
		{Type: expect.ValuesNotNull, Column: "last_activity"},
	}
	if withDistinct() {
		exps = append(exps,
			expect.Expectation{Type: expect.ProportionUniqueBetwen, Column: "email", Min: fp(0.99)},
			expect.Expectation{Type: expect.DistinctValuesInSet, Column: "customer_id", ValueSet: []string{"C000000001", "C000000002"}})
	}
	return exps, expect.Checks{Freshness: &expect.Freshness{Column: "last_activity", MaxAge: "720h"}}
}

// duckdbQuery is the suite as one bare query: counts only.
func duckdbQuery() string {
	distinct := ""
	if withDistinct() {
		distinct = distinctAggregates
	}
	return fmt.Sprintf(duckdbQueryFormat, distinct)
}

const distinctAggregates = `,
  count(DISTINCT email) / count(email),
  count(DISTINCT customer_id) FILTER (WHERE customer_id NOT IN ('C000000001', 'C000000002'))`

const duckdbQueryFormat = `SELECT
  count(*) FILTER (WHERE customer_id IS NULL),
  count(customer_id) - count(DISTINCT customer_id),
  count(*) FILTER (WHERE age IS NOT NULL AND NOT (age >= 18 AND age <= 85)),
  count(*) FILTER (WHERE status IS NOT NULL AND status NOT IN ('active', 'inactive')),
  count(*) FILTER (WHERE plan IS NOT NULL AND plan NOT IN ('basic', 'standard', 'premium')),
  count(*) FILTER (WHERE tenure_months IS NOT NULL AND NOT (tenure_months >= 1 AND tenure_months <= 72)),
  count(*) FILTER (WHERE monthly_charges IS NOT NULL AND NOT (monthly_charges >= 0 AND monthly_charges <= 200)),
  avg(monthly_charges),
  max(support_calls),
  count(*) FILTER (WHERE NOT regexp_matches(customer_id, '^C[0-9]{6}$')),
  count(*) FILTER (WHERE NOT regexp_matches(email, '^[a-z0-9.]+@[a-z]+\.com$')),
  count(*),
  count(*) FILTER (WHERE churned IS NOT NULL AND churned NOT IN ('yes', 'no')),
  count(*) FILTER (WHERE last_activity IS NULL),
  max(last_activity)%s
FROM read_csv(?, header = true)`
