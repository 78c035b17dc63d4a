// The audit trail from the command line: the hook every command calls, and the `audit`
// commands (verify, show, key). The log format and trust model are in audit/log.h.
//
// Where: the log is --audit-log, else $CIPHERSTAT_AUDIT_LOG, else ~/.cipherstat/audit.jsonl;
// the actor's signing key and anchors are in --audit-dir, else $CIPHERSTAT_AUDIT_DIR, else
// ~/.cipherstat/audit. Both flags are global: `cipherstat decrypt ... --audit-log FILE`.
//
// When a command records: once it has done its work and checked its inputs, and before it
// makes its output visible (prints a table, renames a result or key into place). So nothing
// leaves a command unrecorded, and a log that cannot be written stops the command with a clear
// error and no output. The price is the safe one: if the final write itself fails, the log
// holds an entry, with the digest of the output that was meant, for an output that never
// appeared. encrypt is the one exception: the dataset's digest exists only once EncryptCsv
// has written the dataset, so it records right after and removes the dataset if it cannot.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "audit/log.h"
#include "cli/commands.h"
#include "util/status.h"

namespace cipherstat::cli {

// Adds the global --audit-log and --audit-dir flags and the `audit` subcommands.
// REQUIRES: called before other subcommands are added (they inherit "fallthrough", which lets
// the global flags follow the subcommand name).
void RegisterAudit(CLI::App& app, Registry* registry);

// One audit entry, recorded by the running command in one line:
//   CS_RETURN_IF_ERROR(AuditEvent("decrypt").Key(fp).Dataset(d).ResultDigest(r).Record());
//   if (!sk.ok()) return AuditEvent("failed passphrase").KeyDir(dir).RecordFailure(sk.status());
class AuditEvent {
 public:
  explicit AuditEvent(std::string action) { event_.action = std::move(action); }
  AuditEvent& Key(std::string fingerprint);
  // The fingerprint of DIR/public.key; left empty when it cannot be read.
  AuditEvent& KeyDir(const std::string& dir);
  AuditEvent& Dataset(std::string manifest_sha256);
  AuditEvent& ResultDigest(std::string sha256);
  AuditEvent& Query(std::string text);
  AuditEvent& Detail(std::string text);
  // Record into this log instead of the configured one (the demo keeps its own).
  AuditEvent& Log(std::string path);

  // Appends the entry; on failure the error names the log and says the command was stopped.
  Status Record() const;
  // For a command that is failing: records the event with `failure`'s message as its detail
  // and returns `failure` (with the audit error added if the entry could not be written).
  Status RecordFailure(const Status& failure) const;

 private:
  audit::Event event_;
  std::string log_;
};

// The log the running command records into (flag, environment or default).
Result<std::string> ConfiguredAuditLog();
// This actor's anchor file for `log`, or "" when there is none.
std::string OwnAuditAnchor(const std::string& log);

}  // namespace cipherstat::cli
