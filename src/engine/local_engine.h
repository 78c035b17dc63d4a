// The local engine: the plan over every segment with a thread pool on this machine
// (RunLocal, engine/mapreduce.h), reading segments from wherever the dataset's storage is.
#pragma once

#include "engine/engine.h"

namespace cipherstat {

// Options: --threads.
EngineEntry LocalEngineEntry();

}  // namespace cipherstat
