// The audit trail from the command line: the global --audit-log/--audit-dir flags and the
// `audit` commands (verify, show, key). The log format and trust model are in audit/log.h,
// when and how steps record in audit/trail.h.
//
// Where: the log is --audit-log, else $CIPHERSTAT_AUDIT_LOG, else ~/.cipherstat/audit.jsonl;
// the actor's signing key and anchors are in --audit-dir, else $CIPHERSTAT_AUDIT_DIR, else
// ~/.cipherstat/audit. Both flags are global: `cipherstat decrypt ... --audit-log FILE`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "audit/trail.h"
#include "cli/commands.h"
#include "util/status.h"

namespace cipherstat::cli {

// Adds the global --audit-log and --audit-dir flags and the `audit` subcommands.
// REQUIRES: called before other subcommands are added (they inherit "fallthrough", which lets
// the global flags follow the subcommand name).
void RegisterAudit(CLI::App& app, Registry* registry);

// The trail every command records into: the global flags, else the environment, else the
// defaults (audit/trail.h).
const audit::Trail& CommandTrail();

}  // namespace cipherstat::cli
