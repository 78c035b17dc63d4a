// Status: the outcome of every fallible call in cipherstat (after LevelDB's).
// A Status is OK or carries a code and a message naming what failed: the file, line, field.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cipherstat {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,
    kCorruption,
    kIOError,
    kNotFound,
    kNotSupported,
    kAlreadyExists
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status NotSupported(std::string msg) {
    return Status(Code::kNotSupported, std::move(msg));
  }
  static Status AlreadyExists(std::string msg) {
    return Status(Code::kAlreadyExists, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Corruption: DATASET/segments/part-00003.c1: chunk 2 (records 8193-12288) differs from
  // the manifest's digest: the segment was altered" — for humans.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Text read from a file, a result or the command line, made safe for a terminal: C0 controls,
// DEL and bytes that are not UTF-8 become \xNN (ESC is "\x1b"), C1 controls (U+0080..U+009F,
// which some terminals obey like ESC [) become \u00NN; everything else, backslashes included,
// is kept. For display only: the escaped text does not read back as the original.
std::string EscapeControls(std::string_view text);

// How much of what it read a message may quote.
inline constexpr size_t kMaxQuotedBytes = 64;
// `text` to quote in a Status message: EscapeControls of at most its first `max_bytes` bytes,
// followed by "… (N bytes)" when it was longer. Every message that quotes input it did not
// write itself (a field of a keystore, manifest, result or partial file, a library's error
// text) goes through this, so no key material or document fills a message or the audit log.
std::string QuoteInput(std::string_view text, size_t max_bytes = kMaxQuotedBytes);

namespace internal {
// Prints `status` and aborts: Result::value() was called on an error.
[[noreturn]] void DieOnEmptyResult(const Status& status);
}  // namespace internal

// Either a value or the Status that explains why there is none. Reading the value of an
// error is a bug in the caller, so it stops the process with the error rather than hand back
// a default T that would pass for data.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() {
    if (!value_.has_value()) internal::DieOnEmptyResult(status_);
    return *value_;
  }
  const T& Checked() const {
    if (!value_.has_value()) internal::DieOnEmptyResult(status_);
    return *value_;
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace cipherstat

#define CS_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::cipherstat::Status _cs_status = (expr); \
    if (!_cs_status.ok()) return _cs_status;  \
  } while (0)

#define CS_CONCAT_INNER(a, b) a##b
#define CS_CONCAT(a, b) CS_CONCAT_INNER(a, b)
#define CS_ASSIGN_OR_RETURN(lhs, expr) \
  CS_ASSIGN_OR_RETURN_IMPL(CS_CONCAT(_cs_result_, __LINE__), lhs, expr)
#define CS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
