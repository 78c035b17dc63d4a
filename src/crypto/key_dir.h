// A key folder: DIR/public.key (JSON, shareable) and DIR/secret.key (keystore, owner only).
#pragma once

#include <string>

#include "crypto/keystore.h"
#include "crypto/paillier.h"
#include "util/status.h"

namespace cipherstat::crypto {

std::string PublicKeyPath(const std::string& dir);
std::string SecretKeyPath(const std::string& dir);

// Writes both files; refuses to overwrite an existing key (AlreadyExists).
Status WriteKeyDir(const std::string& dir, const SecretKey& sk, const Passphrase& passphrase,
                   KdfLimits limits);
Result<PublicKey> ReadPublicKey(const std::string& dir);
// Opens the keystore and checks it belongs to DIR/public.key when that file exists.
Result<SecretKey> ReadSecretKey(const std::string& dir, const Passphrase& passphrase);

}  // namespace cipherstat::crypto
