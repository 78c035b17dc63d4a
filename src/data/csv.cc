#include "data/csv.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <string_view>

namespace cipherstat {

namespace {

constexpr size_t kBufferBytes = 1 << 16;
constexpr size_t kDescribedLines = 10;

}  // namespace

std::string_view TrimBlanks(std::string_view s) {
  const char* kSpace = " \t\r\n\f\v";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

std::string RaggedRows::Describe() const {
  if (count == 0) return "";
  std::string out = std::to_string(count) + (count == 1 ? " row has" : " rows have") +
                    " a different number of fields than the header (line" +
                    (count == 1 ? " " : "s ");
  for (size_t i = 0; i < lines.size() && i < kDescribedLines; ++i) {
    out += (i > 0 ? ", " : "") + std::to_string(lines[i]);
  }
  if (count > kDescribedLines) out += ", ...";
  return out + ")";
}

CsvReader::~CsvReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Status CsvReader::Open(const std::string& path, Limits limits) {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  path_ = path;
  limits_ = limits;
  current_line_ = 1;
  record_line_ = 0;
  table_width_ = 0;
  ragged_ = RaggedRows();
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  }
  // A large stdio buffer: the parser reads one byte at a time through getc.
  std::setvbuf(file_, nullptr, _IOFBF, kBufferBytes);
  // Spreadsheet exports often start with a UTF-8 byte order mark; it is not part of the
  // first column's name. Peek and push back rather than seek, so that pipes and FIFOs
  // (--in /dev/stdin) can be read too: the bytes just read are still in the stdio buffer,
  // so glibc's ungetc steps back over them.
  const int bom[3] = {0xEF, 0xBB, 0xBF};
  int peeked[3];
  size_t n = 0;
  while (n < 3) {
    const int c = getc_unlocked(file_);
    if (c == EOF) break;
    peeked[n++] = c;
    if (c != bom[n - 1]) break;
  }
  if (n == 3 && peeked[2] == bom[2]) return Status::OK();
  if (std::ferror(file_)) return Status::IOError(path + ": read failed");
  while (n > 0) {
    if (std::ungetc(peeked[--n], file_) == EOF) {
      return Status::IOError(path + ": cannot push back the first bytes");
    }
  }
  return Status::OK();
}

Status CsvReader::Next(std::vector<std::string>* fields, bool* eof) {
  *eof = false;
  if (file_ == nullptr) return Status::InvalidArgument("CsvReader: Next() before Open()");
  int c = getc_unlocked(file_);
  if (c == EOF) {
    if (std::ferror(file_)) return Status::IOError(path_ + ": read failed");
    *eof = true;
    return Status::OK();
  }
  record_line_ = current_line_;
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument(path_ + " line " + std::to_string(record_line_) + ": " + what);
  };

  size_t count = 0;
  // Reuses the caller's strings so that steady-state reading allocates nothing.
  auto start_field = [&]() -> std::string* {
    if (count == limits_.max_fields) return nullptr;
    if (count < fields->size()) {
      (*fields)[count].clear();
    } else {
      fields->emplace_back();
    }
    return &(*fields)[count++];
  };
  std::string* field = start_field();
  if (field == nullptr) return error("more than " + std::to_string(limits_.max_fields) + " fields");
  // Which limit a byte would break; the message is built only when one is broken.
  enum class Overflow { kNone, kField, kRecord };
  size_t record_bytes = 0;
  auto append = [&](char ch) {
    if (field->size() >= limits_.max_field_bytes) return Overflow::kField;
    if (++record_bytes > limits_.max_record_bytes) return Overflow::kRecord;
    field->push_back(ch);
    return Overflow::kNone;
  };
  auto overflow_error = [&](Overflow o) {
    return error(
        o == Overflow::kField
            ? "a field is longer than " + std::to_string(limits_.max_field_bytes) + " bytes"
            : "the record is longer than " + std::to_string(limits_.max_record_bytes) + " bytes");
  };

  bool quoted = false;       // inside a quoted field
  bool after_quote = false;  // a quoted field just closed; only , or a line end may follow
  for (;; c = getc_unlocked(file_)) {
    if (c == EOF) {
      if (std::ferror(file_)) return Status::IOError(path_ + ": read failed");
      if (quoted) {
        return error("unterminated quoted field (the quote opened here is never closed)");
      }
      break;
    }
    const char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        int next = getc_unlocked(file_);
        if (next == '"') {
          if (Overflow o = append('"'); o != Overflow::kNone) return overflow_error(o);
          continue;
        }
        if (next != EOF) ungetc(next, file_);
        quoted = false;
        after_quote = true;
        continue;
      }
      if (ch == '\n') ++current_line_;
      if (Overflow o = append(ch); o != Overflow::kNone) return overflow_error(o);
      continue;
    }
    if (ch == ',') {
      field = start_field();
      if (field == nullptr) {
        return error("more than " + std::to_string(limits_.max_fields) + " fields");
      }
      after_quote = false;
      continue;
    }
    if (ch == '\n') {
      ++current_line_;
      break;
    }
    if (ch == '\r') {
      int next = getc_unlocked(file_);
      if (next == '\n') {
        ++current_line_;
        break;
      }
      if (next != EOF) ungetc(next, file_);
      // A lone CR is data, as in any other position.
    }
    if (after_quote) {
      return error("unexpected character '" + std::string(1, ch) +
                   "' after a closing quote (quotes inside a quoted field are written \"\")");
    }
    if (ch == '"' && field->empty()) {
      quoted = true;
      continue;
    }
    // A quote inside an unquoted field (5'10") is kept as data, as most tools write it.
    if (Overflow o = append(ch); o != Overflow::kNone) return overflow_error(o);
  }
  fields->resize(count);
  if (table_width_ > 0 && count != table_width_) {
    ++ragged_.count;
    if (ragged_.lines.size() < RaggedRows::kMaxLines) ragged_.lines.push_back(record_line_);
  }
  return Status::OK();
}

void AppendCsvRecord(const std::vector<std::string>& fields, std::string* out) {
  // A lone empty field is written "" so that the record is not mistaken for a blank line.
  if (fields.size() == 1 && fields[0].empty()) {
    out->append("\"\"\n");
    return;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out->append(f);
      continue;
    }
    out->push_back('"');
    for (char ch : f) {
      if (ch == '"') out->push_back('"');
      out->push_back(ch);
    }
    out->push_back('"');
  }
  out->push_back('\n');
}

Status CsvReader::OpenWithHeader(const std::string& path, std::vector<std::string>* header) {
  CS_RETURN_IF_ERROR(Open(path));
  bool eof = false;
  CS_RETURN_IF_ERROR(Next(header, &eof));
  if (eof) return Status::InvalidArgument(path + ": empty file, expected a header");
  return Status::OK();
}

Status CsvReader::OpenTable(const std::string& path, std::vector<std::string>* header) {
  CS_RETURN_IF_ERROR(OpenWithHeader(path, header));
  std::map<std::string, size_t> seen;  // name -> 1-based position
  for (size_t i = 0; i < header->size(); ++i) {
    std::string& name = (*header)[i];
    name = std::string(TrimBlanks(name));
    if (name.empty()) continue;
    auto [it, added] = seen.emplace(name, i + 1);
    if (!added) {
      return Status::InvalidArgument(path + " line " + std::to_string(record_line_) + ": column '" +
                                     name + "' appears twice in the header (columns " +
                                     std::to_string(it->second) + " and " + std::to_string(i + 1) +
                                     ")");
    }
  }
  // Header only: the next byte is the end of the file.
  const int c = getc_unlocked(file_);
  if (c == EOF) {
    if (std::ferror(file_)) return Status::IOError(path_ + ": read failed");
    return Status::InvalidArgument(path + ": only a header, no data rows");
  }
  if (std::ungetc(c, file_) == EOF) return Status::IOError(path + ": read failed");
  table_width_ = header->size();
  return Status::OK();
}

}  // namespace cipherstat
