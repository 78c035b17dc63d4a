#include "audit/trail.h"

#include "audit/identity.h"
#include "crypto/key_dir.h"
#include "util/file.h"

namespace cipherstat::audit {

std::string Trail::OwnAnchor(const std::string& log) const {
  auto dir = ActorDir();
  if (!dir.ok()) return "";
  std::string path = AnchorPath(*dir, log);
  return PathExists(path) ? path : "";
}

Status Trail::Record(const Event& event) const {
  auto fail = [&](const Status& s) {
    return Status(s).WithContext("cannot record '" + event.action +
                                 "' in the audit log, so the command was stopped");
  };
  auto log = LogPath();
  if (!log.ok()) return fail(log.status());
  auto dir = ActorDir();
  if (!dir.ok()) return fail(dir.status());
  auto identity = Identity::OpenOrCreate(*dir);
  if (!identity.ok()) return fail(identity.status());
  auto entry = Append(*log, **identity, event);
  if (!entry.ok()) return fail(entry.status());
  return Status::OK();
}

Status Trail::RecordFailure(Event event, const Status& failure) const {
  event.detail = failure.ToString();
  Status recorded = Record(event);
  if (recorded.ok()) return failure;
  return Status(failure).WithContext(recorded.ToString());
}

EventOf& EventOf::Key(std::string fingerprint) {
  event_.key_fingerprint = std::move(fingerprint);
  return *this;
}
EventOf& EventOf::KeyDir(const std::string& dir) {
  auto pk = crypto::ReadPublicKey(dir);
  if (pk.ok()) event_.key_fingerprint = pk->Fingerprint();
  return *this;
}
EventOf& EventOf::Dataset(std::string manifest_sha256) {
  event_.dataset_digest = std::move(manifest_sha256);
  return *this;
}
EventOf& EventOf::ResultDigest(std::string sha256) {
  event_.result_digest = std::move(sha256);
  return *this;
}
EventOf& EventOf::Query(std::string text) {
  event_.query = std::move(text);
  return *this;
}
EventOf& EventOf::Detail(std::string text) {
  event_.detail = std::move(text);
  return *this;
}

}  // namespace cipherstat::audit
