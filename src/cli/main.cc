// cipherstat: one executable, a thin layer over the library. Every command reports failure
// as "cipherstat <command>: <what went wrong>" on stderr and exits non-zero.
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "crypto/init.h"

int main(int argc, char** argv) {
  using namespace cipherstat::cli;
  if (!cipherstat::crypto::Init().ok()) {
    std::fprintf(stderr, "cipherstat: cannot initialize libsodium\n");
    return 1;
  }
  CLI::App app{"cipherstat: statistics over Paillier-encrypted medical records"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cipherstat 0.1.0");
  Registry registry;
  RegisterCommands(app, &registry);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const auto& [sub, run] : registry) {
    if (sub->parsed()) {
      cipherstat::Status s = run();
      if (!s.ok()) {
        std::fprintf(stderr, "cipherstat %s: %s\n", sub->get_name().c_str(), s.ToString().c_str());
        return 1;
      }
      return 0;
    }
  }
  return 2;
}
