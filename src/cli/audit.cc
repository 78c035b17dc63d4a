#include "cli/audit.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/identity.h"
#include "audit/log.h"
#include "util/file.h"

namespace cipherstat::cli {

namespace {

// The global flags; empty means "environment, else default" (audit::ResolveLogPath/AuditDir).
struct AuditFlags {
  std::string log;
  std::string dir;
};
AuditFlags& Flags() {
  static AuditFlags flags;
  return flags;
}

std::string Short(const std::string& hex, size_t n = 16) {
  return hex.size() > n ? hex.substr(0, n) : hex;
}

// Logged text comes from whoever ran a command; control characters (terminal escapes, line
// breaks that would fake further entries) are shown escaped, never sent to the terminal.
std::string Printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void PrintEntry(const audit::Entry& e) {
  std::printf("%5llu  %s  %-18s %s (audit key %s)\n", static_cast<unsigned long long>(e.seq),
              Printable(e.time).c_str(), Printable(e.event.action).c_str(),
              Printable(e.user).c_str(), Short(e.audit_key, 12).c_str());
  std::string ids;
  if (!e.event.key_fingerprint.empty()) ids += "  key " + Printable(Short(e.event.key_fingerprint));
  if (!e.event.dataset_digest.empty())
    ids += "  dataset " + Printable(Short(e.event.dataset_digest));
  if (!e.event.result_digest.empty()) ids += "  result " + Printable(Short(e.event.result_digest));
  if (!ids.empty()) std::printf("       %s\n", ids.c_str() + 2);
  if (!e.event.query.empty()) std::printf("       query: %s\n", Printable(e.event.query).c_str());
  if (!e.event.detail.empty()) std::printf("       %s\n", Printable(e.event.detail).c_str());
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

const audit::Trail& CommandTrail() {
  // Built on first use, after the command line (and so the flags) has been parsed.
  static const audit::Trail trail(Flags().log, Flags().dir);
  return trail;
}

void RegisterAudit(CLI::App& app, Registry* registry) {
  app.fallthrough();
  app.add_option("--audit-log", Flags().log,
                 "Audit log to append to (else CIPHERSTAT_AUDIT_LOG, else "
                 "~/.cipherstat/audit.jsonl)");
  app.add_option("--audit-dir", Flags().dir,
                 "Folder with your audit signing key and anchors (else CIPHERSTAT_AUDIT_DIR, else "
                 "~/.cipherstat/audit)");
  auto* audit_cmd = app.add_subcommand(
      "audit", "Check and read the signed, hash-chained audit log (see `audit verify --help`)");
  audit_cmd->require_subcommand(1);

  // audit verify
  {
    auto* cmd = audit_cmd->add_subcommand(
        "verify",
        "Check every entry's hash and signature, the chain, and your tail anchor; name the first "
        "bad line");
    auto log = std::make_shared<std::string>();
    auto anchors = std::make_shared<std::vector<std::string>>();
    auto trusted = std::make_shared<std::string>();
    cmd->add_option("--log", *log, "Audit log (default: the configured one)");
    cmd->add_option("--anchor", *anchors,
                    "Also check this anchor file (another actor's DIR/anchors/*.json)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--trusted", *trusted,
                    "File of trusted audit public keys (hex, one per line, # comments); entries "
                    "by any other key are bad")
        ->check(CLI::ExistingFile);
    registry->emplace_back(cmd, [=]() -> Status {
      CS_ASSIGN_OR_RETURN(std::string path, audit::ResolveLogPath(*log));
      audit::VerifyOptions options;
      options.anchor_files = *anchors;
      const std::string own = CommandTrail().OwnAnchor(path);
      if (!own.empty()) options.anchor_files.push_back(own);
      if (!trusted->empty()) {
        CS_ASSIGN_OR_RETURN(options.trusted_keys, audit::ReadTrustedKeys(*trusted));
      }
      CS_ASSIGN_OR_RETURN(audit::VerifyReport report, audit::VerifyLog(path, options));
      if (!report.ok()) {
        return Status::Corruption(path + " line " + std::to_string(report.bad_line) + ": " +
                                  report.problem);
      }
      std::printf("%s: %llu entries; every hash, signature and link verifies\n", path.c_str(),
                  static_cast<unsigned long long>(report.entries));
      for (const audit::SignerSummary& s : report.signers) {
        std::printf(
            "  signer %s (%s): %llu entries, first on line %llu%s\n", Short(s.audit_key).c_str(),
            s.user.c_str(), static_cast<unsigned long long>(s.entries),
            static_cast<unsigned long long>(s.first_line), trusted->empty() ? "" : ", trusted");
      }
      for (const audit::Anchor& a : report.anchors) {
        std::printf("  anchor of %s (%s): %llu entries, head hash matches\n",
                    Short(a.audit_key).c_str(), a.time.c_str(),
                    static_cast<unsigned long long>(a.entries));
      }
      if (own.empty()) {
        std::printf(
            "  note: you have no anchor for this log, so a cut-off tail cannot be detected here; "
            "run verify as an actor who appended to it, or pass --anchor\n");
      }
      if (trusted->empty()) {
        std::printf("  note: check that you recognise every signer, or pass --trusted\n");
      }
      return Status::OK();
    });
  }
  // audit show
  {
    auto* cmd = audit_cmd->add_subcommand("show", "Print the audit log, optionally filtered");
    struct ShowOptions {
      std::string log, action, since, actor, dataset;
      bool json = false;
    };
    auto o = std::make_shared<ShowOptions>();
    cmd->add_option("--log", o->log, "Audit log (default: the configured one)");
    cmd->add_option("--action", o->action,
                    "Only this action (e.g. decrypt, \"failed passphrase\")");
    cmd->add_option("--since", o->since,
                    "Only entries at or after this UTC time (2026-11-29 or "
                    "2026-11-29T06:40)");
    cmd->add_option("--actor", o->actor,
                    "Only entries by this user name, or whose audit key or key fingerprint starts "
                    "with this");
    cmd->add_option("--dataset", o->dataset, "Only entries whose dataset digest starts with this");
    cmd->add_flag("--json", o->json, "Print the matching lines as they are (JSON Lines)");
    registry->emplace_back(cmd, [=]() -> Status {
      CS_ASSIGN_OR_RETURN(std::string path, audit::ResolveLogPath(o->log));
      if (!o->since.empty() && (o->since.size() < 10 || o->since[4] != '-' || o->since[7] != '-')) {
        return Status::InvalidArgument("--since " + o->since + ": expected YYYY-MM-DD[THH:MM]");
      }
      CS_ASSIGN_OR_RETURN(std::vector<audit::Entry> entries, audit::ReadLog(path));
      CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
      size_t shown = 0;
      size_t start = 0;
      for (const audit::Entry& e : entries) {
        const size_t nl = text.find('\n', start);
        const std::string line = text.substr(start, nl - start);
        start = nl + 1;
        if (!o->action.empty() && e.event.action != o->action) continue;
        if (!o->since.empty() && e.time.compare(0, o->since.size(), o->since) < 0) continue;
        if (!o->actor.empty() && e.user != o->actor && !StartsWith(e.audit_key, o->actor) &&
            !(!e.event.key_fingerprint.empty() && StartsWith(e.event.key_fingerprint, o->actor))) {
          continue;
        }
        if (!o->dataset.empty() && !StartsWith(e.event.dataset_digest, o->dataset)) continue;
        ++shown;
        if (o->json) {
          std::printf("%s\n", line.c_str());
        } else {
          PrintEntry(e);
        }
      }
      if (!o->json) {
        std::printf(
            "%zu of %zu entries shown (each checked alone; `audit verify` checks the "
            "chain)\n",
            shown, entries.size());
      }
      return Status::OK();
    });
  }
  // audit key
  {
    auto* cmd = audit_cmd->add_subcommand(
        "key", "Print your audit public key (creating your signing key on first use)");
    registry->emplace_back(cmd, [=]() -> Status {
      CS_ASSIGN_OR_RETURN(std::string dir, CommandTrail().ActorDir());
      CS_ASSIGN_OR_RETURN(auto identity, audit::Identity::OpenOrCreate(dir));
      std::printf("%s  %s\n", identity->public_key_hex().c_str(), audit::CurrentUserName().c_str());
      std::fprintf(stderr, "signing key: %s/signing.key\n", dir.c_str());
      return Status::OK();
    });
  }
}

}  // namespace cipherstat::cli
