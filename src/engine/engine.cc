#include "engine/engine.h"

#include <cstdint>
#include <cstdlib>

#include "engine/hadoop.h"
#include "engine/local_engine.h"

namespace cipherstat {

const std::vector<EngineEntry>& Engines() {
  // Every engine, one line each.
  static const std::vector<EngineEntry> engines = {
      LocalEngineEntry(),
      HadoopStreamingEngineEntry(),
  };
  return engines;
}

Result<std::unique_ptr<Engine>> MakeEngine(const std::string& name, EngineSettings settings) {
  for (const EngineEntry& entry : Engines()) {
    if (entry.name != name) continue;
    for (const EngineOption& option : entry.options) {
      if (option.env.empty() || settings.contains(option.flag)) continue;
      const char* value = std::getenv(option.env.c_str());
      if (value != nullptr && *value != 0) settings[option.flag] = {value};
    }
    return entry.make(settings);
  }
  std::string known;
  for (const EngineEntry& entry : Engines()) known += (known.empty() ? "" : ", ") + entry.name;
  return Status::InvalidArgument("unknown engine '" + name + "' (registered: " + known + ")");
}

std::string Setting(const EngineSettings& settings, const std::string& flag,
                    const std::string& fallback) {
  auto it = settings.find(flag);
  return it == settings.end() || it->second.empty() ? fallback : it->second.back();
}

Result<int> IntSetting(const EngineSettings& settings, const std::string& flag, int fallback) {
  const std::string text = Setting(settings, flag);
  if (text.empty()) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (*end != 0 || value < INT32_MIN || value > INT32_MAX) {
    return Status::InvalidArgument(flag + ": expected an integer, not '" + text + "'");
  }
  return static_cast<int>(value);
}

}  // namespace cipherstat
