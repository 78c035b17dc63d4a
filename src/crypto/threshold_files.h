// The files of a threshold key (crypto/threshold.h) outside the keystores:
//
//   DIR/threshold.json   the threshold public key (ThresholdPublicToJson) plus
//                        "key_fingerprint" and "owner_verify_key" (hex Ed25519)
//   DIR/share-I.key      custodian I's share keystore (WriteShareKeystore)
//   partial file         one custodian's partial decryptions of one result:
//     {"format":"cipherstat-partial-decryption","version":1,"result_sha256":hex,
//      "key_fingerprint":hex,"custodian":I,"partials":[{"c":hex,"e":hex,"z":hex},...]}
//     one entry per ciphertext the result needs decrypted, in CiphertextsToDecrypt's order
//     (query/decode.h): its sums group by group, then the key of the dataset's sealed schema.
#pragma once

#include <string>
#include <vector>

#include "crypto/keystore.h"
#include "crypto/signing.h"
#include "crypto/threshold.h"
#include "util/status.h"

namespace cipherstat::crypto {

inline constexpr char kThresholdFile[] = "threshold.json";
std::string ShareFileName(int index);  // "share-I.key"

// DIR/threshold.json: what combine needs, and nothing secret.
struct ThresholdFolder {
  ThresholdPublic pub;
  VerifyKey owner;
};
std::string ThresholdFolderToJson(const ThresholdPublic& pub, const VerifyKey& owner);
// Errors name `source` (the file) and the field.
Result<ThresholdFolder> ThresholdFolderFromJson(const std::string& text, const std::string& source);
Result<ThresholdFolder> ReadThresholdFolder(const std::string& dir);

// Writes a dealt key's folder: DIR/public.key (naming the owner's verify key), threshold.json,
// the owner's signing.key and every custodian's share-I.key (share_passphrases[I-1]), into a
// temporary folder renamed into place when complete. Refuses an existing DIR (AlreadyExists).
Status WriteThresholdKeyDir(const std::string& dir, const ThresholdKey& key,
                            const SigningKey& signing, const Passphrase& owner_passphrase,
                            const std::vector<const Passphrase*>& share_passphrases,
                            KdfLimits limits);

struct PartialFile {
  std::string result_sha256;    // the result file these decrypt
  std::string key_fingerprint;  // the Paillier key the share belongs to
  int custodian = 0;
  std::vector<PartialDecryption> partials;
};
std::string PartialFileToJson(const PartialFile& file);
// Checks the format and every field's type; the caller checks the digest, key and count
// against the result it combines. Errors are Corruption naming `source`.
Result<PartialFile> PartialFileFromJson(const std::string& text, const std::string& source);

}  // namespace cipherstat::crypto
