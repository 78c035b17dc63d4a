#include "util/status.h"

#include <cstdio>
#include <cstdlib>

namespace cipherstat {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kInvalidArgument:
      return "Invalid argument";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kIOError:
      return "IO error";
    case Status::Code::kNotFound:
      return "Not found";
    case Status::Code::kNotSupported:
      return "Not supported";
    case Status::Code::kAlreadyExists:
      return "Already exists";
  }
  return "Unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

namespace internal {
void DieOnEmptyResult(const Status& status) {
  std::fprintf(stderr, "cipherstat: bug: the value of a failed Result was read (%s)\n",
               status.ToString().c_str());
  std::abort();
}
}  // namespace internal

}  // namespace cipherstat
