// CSV reader, schema inference and cleaning over arbitrary bytes.
#include <cstdint>
#include <vector>

#include "data/clean.h"
#include "data/csv.h"
#include "fuzz_common.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Fixture& fixture = fuzz::GetFixture();
  const std::string in = fuzz::ScratchPath("csv-in");
  const std::string out = fuzz::ScratchPath("csv-out");
  fuzz::WriteScratch(in, data, size);

  // Small limits so that the limit paths are reached, not just the happy path.
  CsvReader reader;
  CsvReader::Limits limits;
  limits.max_field_bytes = 64;
  limits.max_fields = 16;
  if (reader.Open(in, limits).ok()) {
    std::vector<std::string> fields;
    bool eof = false;
    while (reader.Next(&fields, &eof).ok() && !eof) {
      std::string line;
      AppendCsvRecord(fields, &line);
    }
  }

  InferOptions options;
  options.max_records = 1000;
  auto inferred = InferSchema(in, options);
  if (inferred.ok()) {
    // Whatever inference proposes must be a valid schema that survives a round trip.
    auto again = SchemaFromJson(SchemaToJson(*inferred));
    if (!again.ok()) __builtin_trap();
    CleanReport report;
    (void)CleanCsv(*inferred, in, out, &report);
    (void)report.ToJson();
  }
  CleanReport report;
  (void)CleanCsv(fixture.schema, in, out, &report);
  (void)report.ToJson();  // rule keys carry raw header names
  return 0;
}
