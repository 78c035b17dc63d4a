// A key folder: DIR/public.key (JSON, shareable; also names the owner's verify key, for
// information only — the trusted copy is the one inside the keystore) and DIR/secret.key
// (an "owner" keystore: Paillier secret key and the owner's Ed25519 signing key).
#pragma once

#include <string>

#include "crypto/keystore.h"
#include "crypto/paillier.h"
#include "util/status.h"

namespace cipherstat::crypto {

std::string PublicKeyPath(const std::string& dir);
std::string SecretKeyPath(const std::string& dir);

// Writes both files; refuses to overwrite an existing key (AlreadyExists).
Status WriteKeyDir(const std::string& dir, const OwnerKey& key, const Passphrase& passphrase,
                   KdfLimits limits);
Result<PublicKey> ReadPublicKey(const std::string& dir);
// Opens the keystore and checks it belongs to DIR/public.key when that file exists.
Result<SecretKey> ReadSecretKey(const std::string& dir, const Passphrase& passphrase);
// The same for the Paillier key and the owner's signing key.
Result<OwnerKey> ReadOwnerKey(const std::string& dir, const Passphrase& passphrase);

}  // namespace cipherstat::crypto
