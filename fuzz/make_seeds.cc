// Writes the seed corpora under DIR/<target>/ (fuzz/run.sh runs it when a corpus is missing;
// the checked-in corpora came from it). Seeds that hold ciphertexts are made under the
// fixture key so that the fuzzer starts from inputs the readers accept.
//   make_seeds DIR
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/keystore.h"
#include "crypto/threshold_files.h"
#include "data/clean.h"
#include "data/csv.h"
#include "data/generate.h"
#include "engine/mapreduce.h"
#include "fuzz_common.h"
#include "store/dataset.h"
#include "store/result_file.h"
#include "util/file.h"

using namespace cipherstat;

namespace {

std::string root;

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "make_seeds: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// The fuzzer cannot forge a checksum, so the seeds of checksummed files go without one
// (readers accept its absence) and mutations reach the parsing behind it.
std::string WithoutChecksum(const std::string& json) {
  nlohmann::json j = nlohmann::json::parse(json);
  j.erase("checksum");
  return j.dump(1) + "\n";
}

void Seed(const std::string& target, const std::string& name, const std::string& contents) {
  const std::string dir = root + "/" + target;
  ::mkdir(dir.c_str(), 0755);
  Check(WriteFileAtomic(dir + "/" + name, contents), "write seed");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  root = argv[1];
  ::mkdir(root.c_str(), 0755);
  const fuzz::Fixture& f = fuzz::GetFixture();
  const crypto::PublicKey& pk = f.sk.public_key();

  // CSV: a generated cohort (small) and hand-written edge cases.
  const std::string tmp = fuzz::ScratchPath("seeds");
  GenerateOptions gen;
  gen.records = 12;
  gen.seed = 7;
  Check(GenerateCohort(gen, tmp + ".csv", nullptr), "generate");
  Seed("csv_fuzz", "cohort.csv", *ReadFile(tmp + ".csv"));
  Seed("csv_fuzz", "quoted.csv",
       "patient_id,site,sex,arm,age,wtkg,cd4,viral_load\r\n"
       "1,\"Kampala\",F,0,34,70.5,350,120\r\n"
       "2,Mbarara,\"M\",1,NA,,\"1,200\",\"5\"\"\"\r\n");
  Seed("csv_fuzz", "fixture.csv",
       "\xEF\xBB\xBFpatient_id,site,sex,arm,age,wtkg,cd4,viral_load\n"
       "1,Kampala,F,0,34,70.5,350,120\n2,Mbarara,M,3,90,160,2000,10000000\n3,,F,,18,30.0,0,\n"
       "3,Gulu,X,7,17,29.99,-1,1e3\n");

  // Schema.
  Seed("schema_fuzz", "fixture.json", fuzz::kTestSchemaJson);
  InferOptions infer;
  auto inferred = InferSchema(tmp + ".csv", infer);
  Check(inferred.status(), "infer");
  Seed("schema_fuzz", "inferred.json", SchemaToJson(*inferred));
  const std::string dated_csv =
      "patient,enrolled,died\nP1,2003-05-17,2009-02-28\nP2,2011-02-02,NA\n"
      "P3,2004-12-31,2004-12-31\n";
  Check(WriteFileAtomic(tmp + "-dated.csv", dated_csv), "write dated csv");
  Seed("csv_fuzz", "dated.csv", dated_csv);
  auto dated = InferSchema(tmp + "-dated.csv", infer);
  Check(dated.status(), "infer dated");
  Seed("schema_fuzz", "dated.json", SchemaToJson(*dated));

  // SQL.
  const std::vector<std::string> queries = {
      "SELECT COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort",
      "SELECT arm, COUNT(*), AVG(cd4) FROM cohort GROUP BY arm",
      "SELECT site, sex, VAR_POP(age) AS v FROM cohort WHERE site = 'Kampala' AND age >= 30 "
      "GROUP BY site, sex;",
      "select \"arm\", histogram(cd4), sum(viral_suppressed) from cohort where site <> 'it''s' "
      "group by arm",
      "SELECT MIN(age), MAX(age), COUNT(wtkg), STDDEV_SAMP(wtkg) FROM cohort WHERE site != 'x'"};
  for (size_t i = 0; i < queries.size(); ++i) {
    Seed("sql_fuzz", "q" + std::to_string(i) + ".sql", queries[i]);
  }

  // Keys and keystore (the fixture key is a published test key).
  Seed("keys_fuzz", "public.key", crypto::PublicKeyToJson(pk));
  Seed("keys_fuzz", "secret.json", crypto::SecretKeyToJson(f.sk));
  crypto::Passphrase pass("fuzz");
  Check(crypto::WriteKeystore(tmp + ".keystore", f.sk, pass, crypto::FastKdfLimits()), "keystore");
  Seed("keys_fuzz", "secret.key", *ReadFile(tmp + ".keystore"));
  ::unlink((tmp + ".keystore").c_str());

  // A custodian's partial decryption file (the parser checks form, not proofs).
  crypto::PartialFile partial;
  partial.result_sha256 = std::string(64, 'a');
  partial.key_fingerprint = pk.Fingerprint();
  partial.custodian = 2;
  crypto::PartialDecryption p;
  p.index = 2;
  p.value = *crypto::BigInt::FromHex("1f2e3d");
  p.challenge = *crypto::BigInt::FromHex("4c");
  p.response = *crypto::BigInt::FromHex("5b6a");
  partial.partials = {p, p};
  Seed("threshold_fuzz", "partial.json", crypto::PartialFileToJson(partial));
  Seed("threshold_fuzz", "sealed-partial.json",
       crypto::SealPartialFile(partial, fuzz::FuzzCombiner().public_key()));

  // Ciphertexts.
  auto m = crypto::BigInt::FromHex("2a");
  const crypto::Ciphertext c = crypto::Encrypt(pk, *m);
  Seed("ciphertext_fuzz", "standalone.bin", crypto::SerializeCiphertext(pk, c));
  Seed("ciphertext_fuzz", "fixed.bin", crypto::CiphertextToFixedBytes(pk, c));
  Seed("ciphertext_fuzz", "field.b64", EncodeCiphertextField(pk, c));

  // A dataset: its records, manifest, and a query result over it.
  const std::string rows_path = tmp + "-rows.csv";
  Check(WriteFileAtomic(rows_path,
                        "patient_id,site,sex,arm,age,wtkg,cd4,viral_load\n"
                        "1,Kampala,F,0,34,70.5,350,120\n"
                        "2,Mbarara,M,1,45,,520,90000\n"
                        "3,,F,1,,62,180,\n"),
        "rows");
  CsvReader reader;
  std::vector<std::string> header, row;
  Check(reader.OpenWithHeader(rows_path, &header), "open rows");
  auto encoder = RecordEncoder::Create(f.schema, f.layout, header);
  Check(encoder.status(), "encoder");
  const std::string dataset_path = tmp + "-dataset";
  RemoveTree(dataset_path);
  DatasetWriter writer;
  Check(writer.Open(dataset_path, pk, f.schema, f.layout, 2), "dataset");
  const TagKey tag_key = TagKey::Generate();
  const Authenticator tags(tag_key, f.layout);
  writer.SetTagKey(tag_key);
  std::string segment, first_line;
  for (bool eof = false;;) {
    Check(reader.Next(&row, &eof), "read row");
    if (eof) break;
    std::vector<crypto::BigInt> plaintexts;
    std::vector<std::string> public_values;
    const TagValue r = RandomTagValue();
    Check(encoder->Encode(row, &plaintexts, &public_values, &tags, r), "encode");
    std::vector<crypto::Ciphertext> cts;
    for (const auto& plaintext : plaintexts) cts.push_back(crypto::EncryptCrt(f.sk, plaintext));
    Check(writer.Append(public_values, cts, r), "append");
    // The record as ReadChunks hands it out: its .pub line, then each column's fixed bytes.
    std::string line;
    for (size_t i = 0; i < public_values.size(); ++i) {
      if (i > 0) line += '\t';
      line += public_values[i];
    }
    if (first_line.empty()) first_line = line;
    segment += line + "\n";
    for (const crypto::Ciphertext& ct : cts) segment += crypto::CiphertextToFixedBytes(pk, ct);
  }
  Check(writer.Commit(), "commit");
  Seed("segment_fuzz", "records.bin", segment);
  Seed("ciphertext_fuzz", "line.txt", first_line);
  Seed("manifest_fuzz", "manifest.json",
       WithoutChecksum(*ReadFile(dataset_path + "/manifest.json")));
  auto dataset = OpenDataset(dataset_path);
  Check(dataset.status(), "open dataset");
  for (const char* sql : {"SELECT COUNT(*), AVG(cd4) FROM cohort",
                          "SELECT site, arm, COUNT(*), AVG(cd4) FROM cohort GROUP BY site, arm"}) {
    auto plan = MakePlan(sql, CatalogOf(f.schema), f.layout);
    Check(plan.status(), "plan");
    LocalOptions options;
    options.threads = 1;
    auto result = RunLocal(*dataset, *plan, options);
    Check(result.status(), "run");
    Seed("result_fuzz", std::string(plan->group_public.empty() ? "total" : "grouped") + ".json",
         WithoutChecksum(EncryptedResultToJson(pk, *result)));
  }
  RemoveTree(dataset_path);
  ::unlink(rows_path.c_str());
  ::unlink((tmp + ".csv").c_str());
  return 0;
}
