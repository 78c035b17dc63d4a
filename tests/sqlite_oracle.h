// An independent plaintext oracle for the encrypted pipeline: a clean CSV loaded into an
// in-memory SQLite database, queried with ordinary SQL.
//
// Nothing here uses cipherstat's own code (no CsvReader, no ParseFixedPoint, no layout): the CSV
// is parsed by the small RFC 4180 reader below and values are converted with strtoll/strtod,
// so that a bug in the code under test cannot hide by being repeated on the oracle side.
#pragma once

#include <sqlite3.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace cipherstat::testing {

// One value of an oracle result row.
struct OracleValue {
  enum class Kind { kNull, kInteger, kReal, kText };
  Kind kind = Kind::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string text;

  bool is_null() const { return kind == Kind::kNull; }
  double AsDouble() const { return kind == Kind::kInteger ? static_cast<double>(integer) : real; }
  std::string DebugString() const {
    switch (kind) {
      case Kind::kNull:
        return "NULL";
      case Kind::kInteger:
        return std::to_string(integer) + " (integer)";
      case Kind::kReal: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g (real)", real);
        return buf;
      }
      case Kind::kText:
        return "'" + text + "' (text)";
    }
    return "?";
  }
};
using OracleRow = std::vector<OracleValue>;

// Parses RFC 4180 text: fields separated by ',', optionally "quoted" with "" for a quote,
// records ended by LF or CRLF. Returns false (and *error) on an unterminated quote.
inline bool ParseCsvText(const std::string& text, std::vector<std::vector<std::string>>* rows,
                         std::string* error) {
  rows->clear();
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false, field_started = false, record_started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = record_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
      record_started = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the '\n' ends the record
    } else if (c == '\n') {
      record.push_back(std::move(field));
      field.clear();
      rows->push_back(std::move(record));
      record.clear();
      field_started = record_started = false;
    } else {
      field.push_back(c);
      field_started = record_started = true;
    }
  }
  if (in_quotes) {
    *error = "unterminated quoted field";
    return false;
  }
  if (record_started) {
    record.push_back(std::move(field));
    rows->push_back(std::move(record));
  }
  return true;
}

inline bool ReadCsvFile(const std::string& path, std::vector<std::vector<std::string>>* rows,
                        std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!ParseCsvText(buffer.str(), rows, error)) {
    *error = path + ": " + *error;
    return false;
  }
  return true;
}

// Column storage classes for the oracle table.
enum class OracleType { kText, kInteger, kReal };

// Owns an in-memory SQLite database. Non-copyable.
class SqliteOracle {
 public:
  SqliteOracle() { sqlite3_open(":memory:", &db_); }
  ~SqliteOracle() { sqlite3_close(db_); }
  SqliteOracle(const SqliteOracle&) = delete;
  SqliteOracle& operator=(const SqliteOracle&) = delete;

  // Loads a CSV (header row first) into table `raw`. Columns not in `types` are TEXT. An empty
  // field is NULL; any other field of an INTEGER / REAL column is converted with strtoll /
  // strtod and must parse completely (else an error: the clean CSV was not clean).
  bool LoadCsv(const std::string& path, const std::map<std::string, OracleType>& types,
               std::string* error) {
    std::vector<std::vector<std::string>> rows;
    if (!ReadCsvFile(path, &rows, error)) return false;
    if (rows.empty()) {
      *error = path + ": no header";
      return false;
    }
    header_ = rows[0];
    std::string create = "CREATE TABLE raw (";
    std::string insert = "INSERT INTO raw VALUES (";
    std::vector<OracleType> column_types;
    for (size_t c = 0; c < header_.size(); ++c) {
      auto it = types.find(header_[c]);
      OracleType t = it == types.end() ? OracleType::kText : it->second;
      column_types.push_back(t);
      create += (c ? ", " : "") + Quote(header_[c]) +
                (t == OracleType::kText      ? " TEXT"
                 : t == OracleType::kInteger ? " INTEGER"
                                             : " REAL");
      insert += c ? ", ?" : "?";
    }
    create += ")";
    insert += ")";
    if (!Exec(create, error) || !Exec("BEGIN", error)) return false;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, insert.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      *error = sqlite3_errmsg(db_);
      return false;
    }
    bool ok = true;
    for (size_t r = 1; r < rows.size() && ok; ++r) {
      const auto& row = rows[r];
      if (row.size() != header_.size()) {
        *error = path + " record " + std::to_string(r + 1) + ": " + std::to_string(row.size()) +
                 " fields, header has " + std::to_string(header_.size());
        ok = false;
        break;
      }
      sqlite3_reset(stmt);
      for (size_t c = 0; c < row.size(); ++c) {
        const int p = static_cast<int>(c) + 1;
        const std::string& v = row[c];
        if (v.empty()) {
          sqlite3_bind_null(stmt, p);
        } else if (column_types[c] == OracleType::kText) {
          sqlite3_bind_text(stmt, p, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        } else {
          char* end = nullptr;
          errno = 0;
          if (column_types[c] == OracleType::kInteger) {
            long long x = std::strtoll(v.c_str(), &end, 10);
            if (errno == 0 && end == v.c_str() + v.size()) {
              sqlite3_bind_int64(stmt, p, x);
              continue;
            }
          }
          // An INTEGER column may legitimately hold "12.0"-style text; fall back to a double.
          errno = 0;
          double d = std::strtod(v.c_str(), &end);
          if (errno != 0 || end != v.c_str() + v.size() || !std::isfinite(d)) {
            *error = path + " record " + std::to_string(r + 1) + ": column '" + header_[c] +
                     "' holds '" + v + "', not a number";
            ok = false;
            break;
          }
          sqlite3_bind_double(stmt, p, d);
        }
      }
      if (ok && sqlite3_step(stmt) != SQLITE_DONE) {
        *error = sqlite3_errmsg(db_);
        ok = false;
      }
    }
    sqlite3_finalize(stmt);
    if (!ok) return false;
    rows_loaded_ = rows.size() - 1;
    return Exec("COMMIT", error);
  }

  // Creates view `t`: every column of `raw` plus derived columns (name, SQL expression).
  bool CreateView(const std::vector<std::pair<std::string, std::string>>& derived,
                  std::string* error) {
    std::string sql = "CREATE VIEW t AS SELECT *";
    for (const auto& [name, expr] : derived) sql += ", (" + expr + ") AS " + Quote(name);
    sql += " FROM raw";
    return Exec(sql, error);
  }

  // Runs a query; integer/real/text/NULL values as SQLite returns them.
  bool Query(const std::string& sql, std::vector<OracleRow>* out, std::string* error) {
    out->clear();
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      *error = std::string("oracle SQL: ") + sqlite3_errmsg(db_) + "\n  " + sql;
      return false;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      OracleRow row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        OracleValue v;
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            v.kind = OracleValue::Kind::kInteger;
            v.integer = sqlite3_column_int64(stmt, c);
            break;
          case SQLITE_FLOAT:
            v.kind = OracleValue::Kind::kReal;
            v.real = sqlite3_column_double(stmt, c);
            break;
          case SQLITE_NULL:
            break;
          default:
            v.kind = OracleValue::Kind::kText;
            v.text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            break;
        }
        row.push_back(std::move(v));
      }
      out->push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      *error = std::string("oracle SQL: ") + sqlite3_errmsg(db_) + "\n  " + sql;
      return false;
    }
    return true;
  }

  // A single value (first column of the first row), or nullopt with *error.
  std::optional<OracleValue> Scalar(const std::string& sql, std::string* error) {
    std::vector<OracleRow> rows;
    if (!Query(sql, &rows, error)) return std::nullopt;
    if (rows.empty() || rows[0].empty()) {
      *error = "oracle SQL returned no value: " + sql;
      return std::nullopt;
    }
    return rows[0][0];
  }

  const std::vector<std::string>& header() const { return header_; }
  size_t rows_loaded() const { return rows_loaded_; }

  static std::string Quote(const std::string& identifier) {
    std::string out = "\"";
    for (char c : identifier) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }
  static std::string QuoteLiteral(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }

 private:
  bool Exec(const std::string& sql, std::string* error) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      *error = std::string("oracle SQL: ") + (message ? message : "?") + "\n  " + sql;
      sqlite3_free(message);
      return false;
    }
    return true;
  }

  sqlite3* db_ = nullptr;
  std::vector<std::string> header_;
  size_t rows_loaded_ = 0;
};

}  // namespace cipherstat::testing
