// The audit log: an append-only, hash-chained, signed JSON Lines file. Every command that
// touches a key or a dataset appends one entry; `cipherstat audit verify` checks them all.
//
// Line N (counting from 1) holds entry number N:
//   {"action":"decrypt","actor":{"audit_key":"<Ed25519 public key, hex>","key":"<Paillier key
//    or share fingerprint>","user":"alice"},"dataset":"<manifest sha256>","detail":"...",
//    "hash":"<hex>","prev":"<hash of line N-1; 64 zeros on line 1>","query":"SELECT ...",
//    "result":"<sha256 of the encrypted result file>","seq":N,"sig":"<hex>",
//    "time":"2026-11-29T06:40:11.123Z","v":1}
// key, dataset, result, query and detail are left out when empty.
//   hash = BLAKE2b-256("cipherstat-audit-entry-v1\n" || canonical), where canonical is the entry
//          without "hash" and "sig", serialised with sorted keys and no spaces (nlohmann dump());
//   sig  = Ed25519 signature of the 32 hash bytes by actor.audit_key (identity.h).
// Because every entry names its number and its predecessor's hash, a modified, deleted,
// inserted or reordered line breaks the chain at a line verify can name.
//
// Writers: Append takes an exclusive flock on the log, reads the last line to chain to (and
// refuses a tail that does not verify), checks the actor's tail anchor (below), writes the new
// line with one write(2), fsyncs, then rewrites the anchor, all under the lock; concurrent
// processes serialise on it.
//
// Trust model — what verify does and does not prove:
// * Each entry was signed by the holder of the key it names, and the entries form one unbroken
//   chain. That alone does not stop someone with write access to the log from replacing it
//   with a fresh, self-consistent log signed by a key of their own, or from cutting off its tail.
// * Tail anchors stop both for the entries an actor wrote: after each append the actor stores
//   a signed {log path, entry count, head hash} in its own audit folder (AnchorPath), which an
//   attacker holding only the log cannot rewrite. verify checks the verifier's anchor (and any
//   others it is given): the log must still hold that many entries, and the entry at that count
//   must have that hash. Append checks the same before it writes: a log cut short, or cut and
//   refilled to the same length or longer (so that it chains and verifies on its own), no
//   longer holds the anchored entry, and Append refuses it rather than move the anchor onto
//   the rewritten log. An anchor pins the log as of its owner's last append; later entries by
//   other actors are pinned only by those actors' anchors.
// * Which keys may sign: verify lists every signer (key, user name, first line) so a reader
//   can recognise them (trust on first use); given a trusted-key list (each actor prints its
//   key with `cipherstat audit key`), any entry by another key is reported as bad.
// * Someone who controls both the log and an actor's audit folder can rewrite that actor's
//   history. The log is tamper-evident, not tamper-proof; copy anchors off the host for more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/identity.h"
#include "util/status.h"

namespace cipherstat::audit {

// What a command reports. Only `action` is required.
struct Event {
  std::string action;           // keygen, encrypt, query, decrypt, failed passphrase, ...
  std::string key_fingerprint;  // the Paillier key or key share used, if any
  std::string dataset_digest;   // sha256 of the dataset's manifest.json
  std::string result_digest;    // sha256 of the encrypted result file
  std::string query;            // the query text
  std::string detail;           // anything else worth keeping (an error, an output path)
};

// One parsed line of the log.
struct Entry {
  uint64_t seq = 0;
  std::string time;       // UTC, ISO 8601 with milliseconds
  std::string audit_key;  // hex Ed25519 public key of the signer
  std::string user;       // OS user name of the process that appended it
  Event event;
  std::string prev;  // hex hash of the previous entry
  std::string hash;  // hex hash of this entry
  std::string signature;
};

// The log to use: `flag` if set, else $CIPHERSTAT_AUDIT_LOG, else
// $HOME/.cipherstat/audit.jsonl.
Result<std::string> ResolveLogPath(const std::string& flag);

// Appends `event` as the next entry, signed by `identity`, and updates its tail anchor.
// Creates the log (mode 0660 less umask) if it does not exist. Fails (and writes nothing, the
// anchor unchanged) when the log cannot be opened or locked, its last line does not verify,
// or it no longer holds the entry this identity's anchor pinned: shorter than the anchor
// ("the tail was cut off"), or that entry has another hash ("rewritten after the anchor"),
// the message naming the line. Reads the log backwards from its end only as far as that entry.
Result<Entry> Append(const std::string& log_path, const Identity& identity, const Event& event);

// Parses one line and checks that its hash and signature are its own (not its place in the
// chain). Corruption names what is wrong; the caller adds the line number.
Result<Entry> ParseEntry(std::string_view line);

// All entries, each checked alone; Corruption("LOG line N: ...") at the first bad one.
Result<std::vector<Entry>> ReadLog(const std::string& log_path);

// A signed record of how long a log was, and its last hash, as of its owner's last append.
struct Anchor {
  std::string log_path;  // absolute, symlinks resolved
  uint64_t entries = 0;
  std::string head;  // hash of entry number `entries`
  std::string audit_key;
  std::string time;
};
// DIR/anchors/<first 32 hex of BLAKE2b(absolute log path)>.json
std::string AnchorPath(const std::string& audit_dir, const std::string& log_path);
// Reads an anchor and checks its signature by the key it names.
Result<Anchor> ReadAnchor(const std::string& path);

// A file of trusted audit public keys: one 64-digit lowercase hex key a line, '#' starts a
// comment. Errors name the file and line.
Result<std::vector<std::string>> ReadTrustedKeys(const std::string& path);

struct VerifyOptions {
  std::vector<std::string> anchor_files;  // anchors the log must agree with; each must exist
  std::vector<std::string> trusted_keys;  // hex public keys; empty = any key may sign
};

struct SignerSummary {
  std::string audit_key;
  std::string user;  // of the signer's first entry
  uint64_t first_line = 0;
  uint64_t entries = 0;
};

struct VerifyReport {
  uint64_t entries = 0;   // lines in the log (a partial last line included)
  uint64_t bad_line = 0;  // first bad line, counting from 1; 0 when everything verifies
  std::string problem;    // what is wrong at bad_line
  std::vector<SignerSummary> signers;
  std::vector<Anchor> anchors;  // the anchors that were checked
  bool ok() const { return bad_line == 0; }
};

// Checks every line's hash and signature, the chain, the trusted keys and the anchors, and
// reports the first bad line. A missing or unreadable log is an error (IOError/NotFound); a
// log that fails verification is a report with bad_line set.
Result<VerifyReport> VerifyLog(const std::string& log_path, const VerifyOptions& options);

// Hex SHA-256 of a file's bytes (streamed), for dataset and result digests.
Result<std::string> FileSha256(const std::string& path);

// The OS user name of this process (getpwuid), else $USER, else "uid:N".
std::string CurrentUserName();

}  // namespace cipherstat::audit
