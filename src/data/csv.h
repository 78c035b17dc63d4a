// Streaming CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cipherstat {

// Rows whose number of fields differs from the header's ("ragged"), as OpenTable's reader
// counts them: how many, and the lines of the first kMaxLines.
struct RaggedRows {
  static constexpr size_t kMaxLines = 100;
  uint64_t count = 0;
  std::vector<uint64_t> lines;
  // "2 rows have a different number of fields than the header (lines 7, 9)"; at most 10 lines
  // are named, then "...". Empty when there are none.
  std::string Describe() const;
};

// Reads records one at a time with bounded memory. Non-copyable; owns its FILE.
class CsvReader {
 public:
  // Limits guard against hostile input; exceeding them is an InvalidArgument naming the line.
  struct Limits {
    size_t max_field_bytes = 1 << 20;
    size_t max_fields = 10000;
    // Bounds one record's memory (fields × field size alone would allow 10 GB).
    size_t max_record_bytes = 16 << 20;
  };
  CsvReader() = default;
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  Status Open(const std::string& path, Limits limits);
  Status Open(const std::string& path) { return Open(path, Limits()); }
  // Opens and reads the header record; an empty file is InvalidArgument naming the path.
  Status OpenWithHeader(const std::string& path, std::vector<std::string>* header);
  // The header checks every command that reads a CSV table applies (`schema`, `clean` and
  // `encrypt` all open their input with this): a UTF-8 byte order mark and CRLF line ends are
  // accepted (Open, Next); the header's names are returned trimmed of blanks; a name given
  // twice is refused naming it and both positions
  //   "PATH line 1: column 'x' appears twice in the header (columns 2 and 5)"
  // (unnamed columns, such as R's row-name column, may repeat: no command reads them); an
  // empty file is refused ("PATH: empty file, expected a header"), and so is a header with no
  // data rows after it
  //   "PATH: only a header, no data rows"
  // From then on Next() counts every record whose number of fields differs from the header's
  // in ragged(), with its line, for the caller to report (schema warns, clean drops and
  // reports, encrypt refuses).
  Status OpenTable(const std::string& path, std::vector<std::string>* header);
  const RaggedRows& ragged() const { return ragged_; }
  // Reads the next record into `fields`. Sets *eof at end of input (fields untouched).
  // Errors (unterminated quote, limits) name the file and the line.
  Status Next(std::vector<std::string>* fields, bool* eof);
  // 1-based physical line on which the last returned record started.
  size_t line() const { return record_line_; }
  const std::string& path() const { return path_; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
  Limits limits_;
  size_t current_line_ = 1;
  size_t record_line_ = 0;
  size_t table_width_ = 0;  // OpenTable: the header's field count; 0: not a table
  RaggedRows ragged_;
};

// `s` without leading and trailing blanks (space, tab, CR, LF, FF, VT): how every reader of a
// CSV compares names and values.
std::string_view TrimBlanks(std::string_view s);

// Appends one CSV record (quoting only where needed) and a '\n' to *out.
void AppendCsvRecord(const std::vector<std::string>& fields, std::string* out);

}  // namespace cipherstat
