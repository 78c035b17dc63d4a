// Where a running process records its audit entries, and the entry it records.
//
// A Trail is the log (flag, else $CIPHERSTAT_AUDIT_LOG, else ~/.cipherstat/audit.jsonl) and
// the actor's folder with its signing key and anchors (flag, else $CIPHERSTAT_AUDIT_DIR, else
// ~/.cipherstat/audit). The pipeline records every step through the Trail it is given, so a
// caller decides where (the CLI from its global flags, the demo into its own log).
//
// When a step records: once it has done its work and checked its inputs, and before it makes
// its output visible. So nothing leaves unrecorded, and a log that cannot be written stops the
// step with no output. If the final write itself fails, the step records a closing
// "output failed" entry naming the output that never appeared (pipeline/release.h).
#pragma once

#include <string>

#include "audit/log.h"
#include "util/status.h"

namespace cipherstat::audit {

class Trail {
 public:
  // Empty arguments mean "environment, else default", resolved when recording.
  explicit Trail(std::string log = "", std::string dir = "")
      : log_(std::move(log)), dir_(std::move(dir)) {}

  // The same actor recording into another log (the demo keeps its own).
  Trail WithLog(std::string log) const { return Trail(std::move(log), dir_); }

  Result<std::string> LogPath() const { return ResolveLogPath(log_); }
  Result<std::string> ActorDir() const { return ResolveAuditDir(dir_); }
  // This actor's anchor file for `log`, or "" when there is none. Never creates the folder.
  std::string OwnAnchor(const std::string& log) const;

  // Appends `event`; on failure the error names the log and says the step was stopped.
  Status Record(const Event& event) const;
  // For a step that is failing: records `event` with `failure`'s message as its detail and
  // returns `failure` (with the audit error added if the entry could not be written).
  Status RecordFailure(Event event, const Status& failure) const;

 private:
  std::string log_, dir_;
};

// One entry, built in one expression:
//   CS_RETURN_IF_ERROR(trail.Record(EventOf("decrypt").Key(fp).Dataset(d).Query(sql)));
class EventOf {
 public:
  explicit EventOf(std::string action) { event_.action = std::move(action); }
  EventOf& Key(std::string fingerprint);
  // The fingerprint of DIR/public.key; left empty when it cannot be read.
  EventOf& KeyDir(const std::string& dir);
  EventOf& Dataset(std::string manifest_sha256);
  EventOf& ResultDigest(std::string sha256);
  EventOf& Query(std::string text);
  EventOf& Detail(std::string text);
  operator const Event&() const { return event_; }  // NOLINT: used where an Event is expected

 private:
  Event event_;
};

}  // namespace cipherstat::audit
