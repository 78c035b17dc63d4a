#include "query/sql.h"

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace cipherstat {
namespace {

// Bounds keep parse time and memory linear in sizes known in advance, whatever the input.
constexpr size_t kMaxQueryCharacters = 100000;
constexpr size_t kMaxListLength = 1000;
// A 50 kB string literal quoted back in full would bury the message; cut it.
constexpr size_t kMaxShownBytes = 40;

enum class TokenKind { kEnd, kWord, kQuotedIdent, kNumber, kString, kSymbol };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  // Words and numbers as written; quoted identifiers and strings with quotes removed and
  // doubled quotes undone; symbols as written ("!=" stays "!=" here).
  std::string text;
  size_t offset = 0;  // byte offset of the first character in the query
  size_t length = 0;  // bytes of the query this token spans, quotes included
};

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return IsAsciiLetter(c) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// UTF-8 continuation bytes do not start a character; counting the others counts characters.
bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

size_t CountCharacters(std::string_view s) {
  size_t count = 0;
  for (char c : s) {
    if (!IsContinuationByte(c)) ++count;
  }
  return count;
}

// Words that end or join clauses. Taking one of them as a bare alias or name would turn a
// typo or an unsupported clause into a silently different query; quoting still allows them.
constexpr std::array<std::string_view, 13> kReservedWords = {
    "select", "from", "where",    "group", "by",     "and",   "or",
    "not",    "as",   "distinct", "order", "having", "limit",
};

bool IsReserved(std::string_view word) {
  for (std::string_view reserved : kReservedWords) {
    if (EqualsIgnoreCase(word, reserved)) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::string_view sql) : sql_(sql) {}

  Result<Query> Parse();

 private:
  // Tokens are produced on demand so that the first error reported is the leftmost one,
  // whether it is lexical (an unterminated string) or grammatical.
  Status Advance();
  Status LexNumber();
  Status LexQuoted(char quote, TokenKind kind, std::string_view what);

  Status ErrorAt(size_t offset, std::string_view message) const;
  std::string Shown(size_t begin, size_t end) const;
  std::string Found() const;
  Status Expected(std::string_view what) const;

  bool AtKeyword(std::string_view keyword) const;
  bool AtSymbol(std::string_view symbol) const;
  bool AtName() const;
  Status ExpectKeyword(std::string_view keyword);
  Result<std::string> ParseName(std::string_view what);
  Result<SelectItem> ParseSelectItem();
  // After "function(": p) WITHIN GROUP (ORDER BY x [ASC]), PostgreSQL's ordered-set form.
  Status ParseWithinGroup(const std::string& function, const AggregateSpec& spec, SelectItem* item);
  Result<Condition> ParseCondition();

  std::string_view sql_;
  size_t pos_ = 0;
  Token tok_;
  std::string last_implicit_alias_;  // as written, when the last select item's alias lacked AS
};

Status Parser::Advance() {
  while (pos_ < sql_.size() && IsSpace(sql_[pos_])) ++pos_;
  tok_ = Token{};
  tok_.offset = pos_;
  if (pos_ == sql_.size()) return Status::OK();

  const char c = sql_[pos_];
  auto at = [this](size_t i) { return i < sql_.size() ? sql_[i] : '\0'; };
  if (IsIdentStart(c)) {
    size_t end = pos_ + 1;
    while (end < sql_.size() && IsIdentChar(sql_[end])) ++end;
    tok_.kind = TokenKind::kWord;
    tok_.text = std::string(sql_.substr(pos_, end - pos_));
    tok_.length = end - pos_;
    pos_ = end;
    return Status::OK();
  }
  // The grammar has no arithmetic, so a minus sign can only ever belong to a number.
  const size_t unsigned_start = c == '-' ? pos_ + 1 : pos_;
  if (IsDigit(at(unsigned_start)) ||
      (at(unsigned_start) == '.' && IsDigit(at(unsigned_start + 1)))) {
    return LexNumber();
  }
  if (c == '\'') return LexQuoted('\'', TokenKind::kString, "string literal");
  if (c == '"') return LexQuoted('"', TokenKind::kQuotedIdent, "quoted identifier");

  for (std::string_view symbol : {"<=", "<>", ">=", "!="}) {
    if (sql_.substr(pos_, 2) == symbol) {
      tok_.kind = TokenKind::kSymbol;
      tok_.text = std::string(symbol);
      tok_.length = 2;
      pos_ += 2;
      return Status::OK();
    }
  }
  if (std::string_view("(),*;=<>").find(c) != std::string_view::npos) {
    tok_.kind = TokenKind::kSymbol;
    tok_.text = std::string(1, c);
    tok_.length = 1;
    pos_ += 1;
    return Status::OK();
  }
  size_t end = pos_ + 1;
  while (end < sql_.size() && IsContinuationByte(sql_[end])) ++end;
  return ErrorAt(pos_, "unexpected character '" + Shown(pos_, end) + "'");
}

Status Parser::LexNumber() {
  const size_t n = sql_.size();
  size_t i = pos_;
  if (sql_[i] == '-') ++i;
  while (i < n && IsDigit(sql_[i])) ++i;
  if (i < n && sql_[i] == '.') {
    ++i;
    while (i < n && IsDigit(sql_[i])) ++i;
  }
  bool well_formed = true;
  if (i < n && (sql_[i] == 'e' || sql_[i] == 'E')) {
    size_t j = i + 1;
    if (j < n && (sql_[j] == '+' || sql_[j] == '-')) ++j;
    if (j < n && IsDigit(sql_[j])) {
      while (j < n && IsDigit(sql_[j])) ++j;
      i = j;
    } else {
      well_formed = false;
    }
  }
  // "12abc" or "1.2.3" would otherwise split into two tokens and yield a confusing error
  // about the second one.
  if (i < n && (IsIdentChar(sql_[i]) || sql_[i] == '.')) well_formed = false;
  if (!well_formed) {
    size_t end = i;
    while (end < n && (IsIdentChar(sql_[end]) || sql_[end] == '.')) ++end;
    return ErrorAt(pos_, "malformed number '" + Shown(pos_, end) + "'");
  }
  tok_.kind = TokenKind::kNumber;
  tok_.text = std::string(sql_.substr(pos_, i - pos_));
  tok_.length = i - pos_;
  pos_ = i;
  return Status::OK();
}

Status Parser::LexQuoted(char quote, TokenKind kind, std::string_view what) {
  std::string text;
  size_t i = pos_ + 1;
  while (true) {
    const size_t close = sql_.find(quote, i);
    if (close == std::string_view::npos) {
      return ErrorAt(pos_, "unterminated " + std::string(what));
    }
    text.append(sql_.substr(i, close - i));
    if (close + 1 < sql_.size() && sql_[close + 1] == quote) {
      text.push_back(quote);
      i = close + 2;
      continue;
    }
    i = close + 1;
    break;
  }
  // PostgreSQL refuses "" too: a column without a name cannot be meant.
  if (kind == TokenKind::kQuotedIdent && text.empty()) {
    return ErrorAt(pos_, "empty quoted identifier");
  }
  tok_.kind = kind;
  tok_.text = std::move(text);
  tok_.length = i - pos_;
  pos_ = i;
  return Status::OK();
}

Status Parser::ErrorAt(size_t offset, std::string_view message) const {
  const size_t character = CountCharacters(sql_.substr(0, offset)) + 1;
  return Status::InvalidArgument("SQL: at character " + std::to_string(character) + ": " +
                                 std::string(message));
}

std::string Parser::Shown(size_t begin, size_t end) const {
  if (end - begin <= kMaxShownBytes) return std::string(sql_.substr(begin, end - begin));
  size_t cut = begin + kMaxShownBytes;
  while (cut > begin && IsContinuationByte(sql_[cut])) --cut;
  return std::string(sql_.substr(begin, cut - begin)) + "...";
}

std::string Parser::Found() const {
  if (tok_.kind == TokenKind::kEnd) return "'end of query'";
  return "'" + Shown(tok_.offset, tok_.offset + tok_.length) + "'";
}

Status Parser::Expected(std::string_view what) const {
  return ErrorAt(tok_.offset, "expected " + std::string(what) + ", found " + Found());
}

bool Parser::AtKeyword(std::string_view keyword) const {
  return tok_.kind == TokenKind::kWord && EqualsIgnoreCase(tok_.text, keyword);
}

bool Parser::AtSymbol(std::string_view symbol) const {
  return tok_.kind == TokenKind::kSymbol && tok_.text == symbol;
}

bool Parser::AtName() const {
  return tok_.kind == TokenKind::kQuotedIdent ||
         (tok_.kind == TokenKind::kWord && !IsReserved(tok_.text));
}

Status Parser::ExpectKeyword(std::string_view keyword) {
  if (!AtKeyword(keyword)) return Expected(keyword);
  return Advance();
}

Result<std::string> Parser::ParseName(std::string_view what) {
  if (!AtName()) return Expected(what);
  std::string name = std::move(tok_.text);
  CS_RETURN_IF_ERROR(Advance());
  return name;
}

Result<SelectItem> Parser::ParseSelectItem() {
  SelectItem item;
  last_implicit_alias_.clear();
  if (AtKeyword("DISTINCT")) return ErrorAt(tok_.offset, "SELECT DISTINCT is not supported");
  if (!AtName()) return Expected("a column or aggregate");

  const bool may_be_function = tok_.kind == TokenKind::kWord;
  const size_t name_offset = tok_.offset;
  std::string name = std::move(tok_.text);
  CS_RETURN_IF_ERROR(Advance());

  if (may_be_function && AtSymbol("(")) {
    const std::string function = LowerAscii(name);
    const AggregateSpec* of_star = FindAggregate(function, ArgumentKind::kStar);
    const AggregateSpec* of_column = FindAggregate(function, ArgumentKind::kColumn);
    const AggregateSpec* ordered = FindAggregate(function, ArgumentKind::kFractionWithinGroup);
    const AggregateSpec* of_pair = FindAggregate(function, ArgumentKind::kColumnPair);
    const AggregateSpec* of_list = FindAggregate(function, ArgumentKind::kColumnList);
    if (of_star == nullptr && of_column == nullptr && ordered == nullptr && of_pair == nullptr &&
        of_list == nullptr) {
      return ErrorAt(name_offset, "unknown function '" + function + "'");
    }
    CS_RETURN_IF_ERROR(Advance());
    if (AtKeyword("DISTINCT")) {
      return ErrorAt(tok_.offset, "DISTINCT is not supported inside " + function + "(...)");
    }
    if (ordered != nullptr) {
      CS_RETURN_IF_ERROR(ParseWithinGroup(function, *ordered, &item));
    } else if (of_pair != nullptr || of_list != nullptr) {
      // (y, x) or (y, x1, ..., xk): the dependent column first, as PostgreSQL's REGR_*.
      const AggregateSpec& spec = of_pair != nullptr ? *of_pair : *of_list;
      const std::string usage = function + (of_pair != nullptr ? "(y, x)" : "(y, x1 [, x2]...)");
      CS_ASSIGN_OR_RETURN(item.column, ParseName("a column name in " + usage));
      std::string arguments = item.column;
      while (AtSymbol(",")) {
        CS_RETURN_IF_ERROR(Advance());
        CS_ASSIGN_OR_RETURN(std::string x, ParseName("a column name in " + usage));
        arguments += ", " + x;
        item.regressors.push_back(std::move(x));
      }
      if (item.regressors.empty() || (of_pair != nullptr && item.regressors.size() != 1)) {
        return ErrorAt(name_offset,
                       function + " takes " +
                           (of_pair != nullptr ? "two columns" : "two or more columns") + ": " +
                           usage);
      }
      if (!AtSymbol(")")) return Expected("')' in " + usage);
      CS_RETURN_IF_ERROR(Advance());
      item.aggregate = spec.aggregate;
      item.label = function + "(" + arguments + ")";
    } else {
      std::string argument;
      if (of_star != nullptr && (AtSymbol("*") || of_column == nullptr)) {
        if (!AtSymbol("*")) return Expected("'*'");
        item.aggregate = of_star->aggregate;
        argument = "*";
        CS_RETURN_IF_ERROR(Advance());
      } else {
        item.aggregate = of_column->aggregate;
        CS_ASSIGN_OR_RETURN(item.column, ParseName("a column name"));
        argument = item.column;
      }
      if (!AtSymbol(")")) return Expected("')'");
      CS_RETURN_IF_ERROR(Advance());
      item.label = function + "(" + argument + ")";
    }
  } else {
    item.aggregate = Aggregate::kNone;
    item.column = name;
    item.label = std::move(name);
  }

  if (AtKeyword("AS")) {
    CS_RETURN_IF_ERROR(Advance());
    CS_ASSIGN_OR_RETURN(item.label, ParseName("an alias"));
  } else if (AtName()) {
    last_implicit_alias_ = Shown(tok_.offset, tok_.offset + tok_.length);
    item.label = std::move(tok_.text);
    CS_RETURN_IF_ERROR(Advance());
  }
  return item;
}

Status Parser::ParseWithinGroup(const std::string& function, const AggregateSpec& spec,
                                SelectItem* item) {
  const std::string usage = function + "(p) WITHIN GROUP (ORDER BY column)";
  if (tok_.kind != TokenKind::kNumber) {
    return Expected("a fraction p between 0 and 1 in " + usage);
  }
  const size_t fraction_offset = tok_.offset;
  const double p = std::strtod(tok_.text.c_str(), nullptr);
  if (!(p >= 0 && p <= 1)) {
    return ErrorAt(fraction_offset,
                   function + ": the fraction must be between 0 and 1, found " + tok_.text);
  }
  CS_RETURN_IF_ERROR(Advance());
  if (!AtSymbol(")")) return Expected("')' after the fraction in " + usage);
  CS_RETURN_IF_ERROR(Advance());
  if (!AtKeyword("WITHIN"))
    return Expected("WITHIN GROUP (ORDER BY column) after " + function + "(p)");
  CS_RETURN_IF_ERROR(Advance());
  CS_RETURN_IF_ERROR(ExpectKeyword("GROUP"));
  if (!AtSymbol("(")) return Expected("'('");
  CS_RETURN_IF_ERROR(Advance());
  CS_RETURN_IF_ERROR(ExpectKeyword("ORDER"));
  CS_RETURN_IF_ERROR(ExpectKeyword("BY"));
  CS_ASSIGN_OR_RETURN(item->column, ParseName("a column name"));
  if (AtKeyword("DESC")) {
    return ErrorAt(tok_.offset, "ORDER BY ... DESC is not supported in " + function +
                                    ": use the fraction 1 - p instead");
  }
  if (AtKeyword("ASC")) CS_RETURN_IF_ERROR(Advance());
  if (AtSymbol(",")) {
    return ErrorAt(tok_.offset, function + " orders by one column");
  }
  if (!AtSymbol(")")) return Expected("')'");
  CS_RETURN_IF_ERROR(Advance());
  item->aggregate = spec.aggregate;
  item->fraction = p;
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", p);
  item->label = function + "(" + text + ")(" + item->column + ")";
  return Status::OK();
}

Result<Condition> Parser::ParseCondition() {
  Condition condition;
  CS_ASSIGN_OR_RETURN(condition.column, ParseName("a column name"));

  static constexpr std::array<std::string_view, 7> kOperators = {"=",  "<>", "!=", "<",
                                                                 "<=", ">",  ">="};
  bool is_operator = false;
  for (std::string_view op : kOperators) is_operator = is_operator || AtSymbol(op);
  if (!is_operator) return Expected("a comparison operator (=, <>, !=, <, <=, >, >=)");
  condition.op = tok_.text == "!=" ? "<>" : tok_.text;
  CS_RETURN_IF_ERROR(Advance());

  if (tok_.kind != TokenKind::kNumber && tok_.kind != TokenKind::kString) {
    return Expected("a literal (a number or 'text')");
  }
  condition.is_string = tok_.kind == TokenKind::kString;
  condition.literal = std::move(tok_.text);
  CS_RETURN_IF_ERROR(Advance());
  return condition;
}

Result<Query> Parser::Parse() {
  const size_t characters = CountCharacters(sql_);
  if (characters > kMaxQueryCharacters) {
    return Status::InvalidArgument("SQL: the query is " + std::to_string(characters) +
                                   " characters long; at most " +
                                   std::to_string(kMaxQueryCharacters) + " are accepted");
  }

  Query query;
  CS_RETURN_IF_ERROR(Advance());
  CS_RETURN_IF_ERROR(ExpectKeyword("SELECT"));
  if (AtKeyword("FROM") || AtSymbol(";") || tok_.kind == TokenKind::kEnd) {
    return ErrorAt(tok_.offset,
                   "empty select list: expected a column or aggregate, found " + Found());
  }
  while (true) {
    if (query.items.size() == kMaxListLength) {
      return ErrorAt(tok_.offset,
                     "too many select items (at most " + std::to_string(kMaxListLength) + ")");
    }
    CS_ASSIGN_OR_RETURN(SelectItem item, ParseSelectItem());
    query.items.push_back(std::move(item));
    if (!AtSymbol(",")) break;
    CS_RETURN_IF_ERROR(Advance());
  }

  if (!AtKeyword("FROM")) {
    Status error = Expected("FROM");
    if (last_implicit_alias_.empty()) return error;
    // "SELECT a FORM t" reads FORM as an alias and stumbles on t; say so, or the message
    // points past the real mistake.
    return Status::InvalidArgument(error.message() + " ('" + last_implicit_alias_ +
                                   "' was read as an alias)");
  }
  CS_RETURN_IF_ERROR(Advance());
  CS_ASSIGN_OR_RETURN(query.table, ParseName("a table name"));
  std::string_view what_may_follow = "WHERE, GROUP BY or end of query";

  if (AtKeyword("WHERE")) {
    CS_RETURN_IF_ERROR(Advance());
    while (true) {
      if (query.where.size() == kMaxListLength) {
        return ErrorAt(tok_.offset, "too many WHERE conditions (at most " +
                                        std::to_string(kMaxListLength) + ")");
      }
      CS_ASSIGN_OR_RETURN(Condition condition, ParseCondition());
      query.where.push_back(std::move(condition));
      if (AtKeyword("OR")) {
        return ErrorAt(tok_.offset,
                       "only AND is supported between WHERE conditions, found " + Found());
      }
      if (!AtKeyword("AND")) break;
      CS_RETURN_IF_ERROR(Advance());
    }
    what_may_follow = "AND, GROUP BY or end of query";
  }

  if (AtKeyword("GROUP")) {
    CS_RETURN_IF_ERROR(Advance());
    CS_RETURN_IF_ERROR(ExpectKeyword("BY"));
    while (true) {
      if (query.group_by.size() == kMaxListLength) {
        return ErrorAt(tok_.offset, "too many GROUP BY columns (at most " +
                                        std::to_string(kMaxListLength) + ")");
      }
      CS_ASSIGN_OR_RETURN(std::string column, ParseName("a column name"));
      query.group_by.push_back(std::move(column));
      if (!AtSymbol(",")) break;
      CS_RETURN_IF_ERROR(Advance());
    }
    what_may_follow = "',' or end of query";
  }

  if (AtSymbol(";")) {
    CS_RETURN_IF_ERROR(Advance());
    what_may_follow = "end of query";
  }
  if (tok_.kind != TokenKind::kEnd) return Expected(what_may_follow);
  return query;
}

}  // namespace

Result<Query> ParseSql(std::string_view sql) { return Parser(sql).Parse(); }

}  // namespace cipherstat
