#include "engine/local_engine.h"

#include "engine/mapreduce.h"

namespace cipherstat {

namespace {

class LocalEngine : public Engine {
 public:
  explicit LocalEngine(int threads) : threads_(threads) {}

  Result<EngineRun> Run(const Dataset& dataset, const Plan& plan,
                        const EngineContext& context) override {
    LocalOptions options;
    options.threads = threads_;
    options.progress = context.progress;
    EngineRun run;
    CS_ASSIGN_OR_RETURN(run.result, RunLocal(dataset, plan, options));
    return run;
  }

 private:
  int threads_;
};

}  // namespace

EngineEntry LocalEngineEntry() {
  return {"local",
          "this machine's cores",
          "",
          {{"--threads", "Map threads (default: all cores)", "", /*integer=*/true}},
          [](const EngineSettings& settings) -> Result<std::unique_ptr<Engine>> {
            CS_ASSIGN_OR_RETURN(int threads, IntSetting(settings, "--threads", 0));
            return std::unique_ptr<Engine>(std::make_unique<LocalEngine>(threads));
          }};
}

}  // namespace cipherstat
