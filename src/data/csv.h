// Streaming CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "util/status.h"

namespace cipherstat {

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
};

// Appends one CSV record (quoting only where needed) and a '\n' to *out.
void AppendCsvRecord(const std::vector<std::string>& fields, std::string* out);

}  // namespace cipherstat
