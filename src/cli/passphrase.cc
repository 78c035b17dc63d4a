#include "cli/passphrase.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "util/file.h"

namespace cipherstat::cli {

namespace {

// "no passphrase for keys/secret.key: set CIPHERSTAT_PASSPHRASE, pass --passphrase-file, or run
// on a terminal", the subject taken from the prompt ("Passphrase for keys/secret.key: ").
Status NoPassphrase(const PassphraseOrigin& origin, const std::string& prompt) {
  std::string subject = prompt;
  while (!subject.empty() && (subject.back() == ' ' || subject.back() == ':')) subject.pop_back();
  if (!subject.empty() && subject[0] >= 'A' && subject[0] <= 'Z') subject[0] += 'a' - 'A';
  if (subject.empty()) subject = "passphrase";
  return Status::InvalidArgument("no " + subject + ": set " + origin.env_var + ", pass " +
                                 origin.flag + ", or run on a terminal");
}

// Reads one line from the terminal with echo off. The buffer is wiped before return.
Result<std::unique_ptr<crypto::Passphrase>> Prompt(const std::string& prompt,
                                                   const PassphraseOrigin& origin) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
  if (fd < 0) return NoPassphrase(origin, prompt);
  termios old_mode{};
  bool restore = ::tcgetattr(fd, &old_mode) == 0;
  if (restore) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  char buf[1024];
  size_t len = 0;
  char ch;
  while (len < sizeof buf && ::read(fd, &ch, 1) == 1 && ch != '\n') buf[len++] = ch;
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &old_mode);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  auto out = std::make_unique<crypto::Passphrase>(std::string_view(buf, len));
  sodium_memzero(buf, sizeof buf);
  return out;
}

}  // namespace

Result<std::unique_ptr<crypto::Passphrase>> GetPassphrase(const std::string& passphrase_file,
                                                          const std::string& prompt, bool confirm) {
  return GetPassphrase(passphrase_file, PassphraseOrigin{}, prompt, confirm);
}

Result<std::unique_ptr<crypto::Passphrase>> GetPassphrase(const std::string& passphrase_file,
                                                          const PassphraseOrigin& origin,
                                                          const std::string& prompt, bool confirm) {
  if (!passphrase_file.empty()) {
    auto text = ReadFile(passphrase_file, 4096);
    if (!text.ok()) return text.status().WithContext(origin.flag);
    std::string& s = *text;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    auto out = std::make_unique<crypto::Passphrase>(s);
    sodium_memzero(s.data(), s.size());
    if (out->view().empty()) return Status::InvalidArgument(passphrase_file + ": empty passphrase");
    return out;
  }
  const char* env_var = origin.env_var.c_str();
  if (char* env = std::getenv(env_var); env != nullptr && *env != '\0') {
    auto out = std::make_unique<crypto::Passphrase>(env);
    // Taken, then wiped and removed, so that no child process (a Hadoop client, a shell)
    // inherits it and no copy stays in this process's environment block.
    sodium_memzero(env, std::strlen(env));
    ::unsetenv(env_var);
    return out;
  }
  CS_ASSIGN_OR_RETURN(auto first, Prompt(prompt, origin));
  if (first->view().empty()) return Status::InvalidArgument("empty passphrase");
  if (confirm) {
    CS_ASSIGN_OR_RETURN(auto second, Prompt("Repeat passphrase: ", origin));
    if (first->view() != second->view()) return Status::InvalidArgument("passphrases differ");
  }
  return first;
}

pipeline::PassphraseSource PassphraseFrom(const std::string& passphrase_file) {
  return [passphrase_file](const std::string& prompt) {
    return GetPassphrase(passphrase_file, prompt, false);
  };
}

}  // namespace cipherstat::cli
