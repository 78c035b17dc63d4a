// Group comparisons: statistics over every group of a GROUP BY, released as one row.
//
//   SELECT TTEST(x) FROM t GROUP BY g      Welch's two-sample t-test (unequal variances) of x
//                                          between the two groups of g: "ttest(x) t", "df", "p"
//                                          (t = mean of the first group − the second's, in the
//                                          order a grouped query lists them)
//   SELECT ANOVA(x) FROM t GROUP BY g      one-way ANOVA of x across the groups of g (equal
//                                          variances): "anova(x) F", "df1", "df2", "p"
//   SELECT CHISQ(y) FROM t GROUP BY g      Pearson's chi-square test of independence (no
//                                          continuity correction) of g and y: "chisq(y) chi2",
//                                          "df", "p"
//
// They read the sums a grouped query reads (query/aggregates.cc): n, Σx and Σx² of x per group
// (a private g needs a declared cross g × x), and for CHISQ the levels of a private categorical
// y per public group of g, or the observed count and sum of a 0/1 y per group (per level of a
// private g through a cross). Groups whose GROUP BY value is NULL are left out, as R's
// formula interface drops NA. The owner's decoder first decodes the per-group table (COUNT(*),
// COUNT(x), AVG(x), VAR_SAMP(x); for CHISQ the joint counts) under the release's disclosure
// rules and earlier releases, exactly as a grouped query would be released: if any of its
// cells would be hidden, every cell of the statistic is hidden too ("over hidden group ...").
// The row's population (for the release ledger) is the WHERE conditions and "g IS NOT NULL".
// The p-values and quantiles come from Boost.Math. With --dp-epsilon they are refused
// (AggregateSpec::exact_only): a p-value from noisy sums would not account for the noise.
#pragma once

#include <cstdint>
#include <vector>

#include "encoding/layout.h"
#include "encoding/schema.h"
#include "query/decode.h"
#include "query/plan.h"
#include "query/table.h"
#include "util/status.h"

namespace cipherstat {

// The table of a query whose items are all across-groups tests (MakePlan allows no other
// items beside them). Errors: InvalidArgument for the wrong number of groups ("TTEST compares
// two groups; GROUP BY arms gives 4: use ANOVA(cd4)"), or a CHISQ of a column that is not 0/1.
Result<ResultTable> DecodeComparison(const Schema& schema, const Layout& layout, const Plan& plan,
                                     std::vector<GroupSums> groups, uint64_t dataset_records,
                                     const ReleaseOptions& options);

}  // namespace cipherstat
