// Roles by construction: the compute side never touches secret key material.
//
// Commands that run on the compute party (query, and the map/reduce modes) call
// CheckNoSecretMaterial on every path they are given, before reading anything else, so that a
// key folder or keystore passed to them by mistake is refused instead of copied to a cluster.
#pragma once

#include <string>

#include "util/status.h"

namespace cipherstat::crypto {

// OK iff `path` (a file, or a folder and the files directly inside it) holds no keystore
// (any kind: owner, share, signing, paillier) and no unsealed Paillier secret key. Otherwise
// InvalidArgument naming the file and the role rule. Unreadable files are not an error here:
// the caller's own open reports them.
Status CheckNoSecretMaterial(const std::string& path);

}  // namespace cipherstat::crypto
