// A synthetic HIV cohort with realistic columns and distributions, deterministic per seed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "util/status.h"

namespace cipherstat {

struct GenerateOptions {
  uint64_t records = 1000;
  uint64_t seed = 1;
  bool overwrite = true;  // false: an existing file is left as it is (OutputExists)
  // Two more columns, months_followed (0..60, whole months) and died (0/1: died during
  // follow-up, else censored), for survival analysis; the other columns are the same values
  // as without them (drawn from a separate stream).
  bool follow_up = false;
};

// Writes a CSV atomically with header:
// patient_id,age,sex,site,arm,cd4,viral_load,log10_vl,visit_year[,months_followed,died]
// Streams (constant memory) so it scales to 10 million rows. `progress` (may be empty) is
// called with the number of rows written so far, now and then.
Status GenerateCohort(const GenerateOptions& options, const std::string& out_path,
                      const std::function<void(uint64_t)>& progress = {});

}  // namespace cipherstat
