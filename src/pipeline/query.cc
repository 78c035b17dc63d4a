#include "pipeline/query.h"

#include "crypto/hash.h"
#include "crypto/roles.h"
#include "pipeline/publish.h"
#include "query/plan.h"
#include "store/result_file.h"
#include "store/signed_manifest.h"
#include "store/storage.h"

namespace cipherstat::pipeline {

Result<ComputedResult> ComputeResult(const Dataset& dataset, const std::string& sql, Engine& engine,
                                     const EngineContext& context) {
  CS_ASSIGN_OR_RETURN(Plan plan, MakePlan(sql, dataset.manifest.catalog, dataset.layout));
  ComputedResult out;
  CS_ASSIGN_OR_RETURN(out.run, engine.Run(dataset, plan, context));
  out.json = EncryptedResultToJson(dataset.public_key, out.run.result);
  return out;
}

Result<EngineRun> RunQuery(const QueryRequest& request, const EngineContext& context,
                           const audit::Trail& trail) {
  CS_RETURN_IF_ERROR(crypto::CheckNoSecretMaterial(request.data));  // roles: compute side
  CS_ASSIGN_OR_RETURN(auto engine, MakeEngine(request.engine, request.settings));
  const StorageConfig storage_config = engine->storage_config();
  CS_ASSIGN_OR_RETURN(Dataset dataset, OpenDataset(request.data, storage_config));
  // The destination is checked before any work (an unknown scheme, an existing file, a key or
  // dataset folder fail here).
  CS_RETURN_IF_ERROR(CheckOutput(request.out, request.force, storage_config));
  CS_ASSIGN_OR_RETURN(ComputedResult computed,
                      ComputeResult(dataset, request.sql, *engine, context));
  const EngineRun& run = computed.run;
  CS_RETURN_IF_ERROR(Publish(trail,
                             audit::EventOf("query")
                                 .Key(dataset.public_key.Fingerprint())
                                 .Dataset(Sha256Hex(SignedManifestContent(dataset.manifest)))
                                 .ResultDigest(Sha256Hex(computed.json))
                                 .Query(request.sql)
                                 .Detail((run.job_name.empty() ? "" : run.job_name + ", ") +
                                         "encrypted result " + request.out),
                             computed.json, request.out, request.force, storage_config));
  return std::move(computed.run);
}

}  // namespace cipherstat::pipeline
