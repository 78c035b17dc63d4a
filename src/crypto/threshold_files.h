// The files of a threshold key (crypto/threshold.h) outside the keystores:
//
//   DIR/threshold.json   the threshold public key (ThresholdPublicToJson) plus
//                        "key_fingerprint", "owner_verify_key" (hex Ed25519) and, for
//                        information only, "combiner_key" (hex X25519, crypto/combiner.h)
//   DIR/signing.key      the owner's signing keystore (datasets are signed with it)
//   DIR/combiner.key     the designated combiner's keystore (kind "combiner"), sealed under the
//                        owner's passphrase: the owner combines unless it hands this file over
//   DIR/share-I.key      custodian I's share keystore (WriteShareKeystore), naming the combiner
//   partial file         one custodian's partial decryptions of one result, sealed to the
//                        combiner named in its share keystore (SealPartialFile):
//     {"format":"cipherstat-partial-decryption","version":2,"sealed_to":hex X25519 key,
//      "box":hex crypto_box_seal of the content}
//     "sealed_to" only helps to say which combiner a file is for; what counts is whether the
//     box opens. The content (PartialFileToJson) is
//     {"format":"cipherstat-partial-decryption-content","version":1,"result_sha256":hex,
//      "key_fingerprint":hex,"custodian":I,"partials":[{"c":hex,"e":hex,"z":hex},...]}
//     one entry per ciphertext the result needs decrypted, in CiphertextsToDecrypt's order
//     (query/decode.h): its sums group by group, then the key of the dataset's sealed schema.
//     Version 1 files held the content in the clear, usable by anyone holding t of them; they
//     are refused.
#pragma once

#include <string>
#include <vector>

#include "crypto/combiner.h"
#include "crypto/keystore.h"
#include "crypto/signing.h"
#include "crypto/threshold.h"
#include "util/status.h"

namespace cipherstat::crypto {

inline constexpr char kThresholdFile[] = "threshold.json";
inline constexpr char kCombinerFile[] = "combiner.key";
std::string ShareFileName(int index);  // "share-I.key"

// DIR/threshold.json: the public half of what combine needs (the other is combiner.key), and
// nothing secret.
struct ThresholdFolder {
  ThresholdPublic pub;
  VerifyKey owner;
};
std::string ThresholdFolderToJson(const ThresholdPublic& pub, const VerifyKey& owner,
                                  const CombinerPublicKey& combiner);
// Errors name `source` (the file) and the field.
Result<ThresholdFolder> ThresholdFolderFromJson(const std::string& text, const std::string& source);
Result<ThresholdFolder> ReadThresholdFolder(const std::string& dir);

// Writes a dealt key's folder: DIR/public.key (naming the owner's verify key), threshold.json,
// the owner's signing.key and combiner.key (both under `owner_passphrase`) and every
// custodian's share-I.key (share_passphrases[I-1]) naming `combiner`'s public key, into a
// temporary folder renamed into place when complete. Refuses an existing DIR (AlreadyExists).
Status WriteThresholdKeyDir(const std::string& dir, const ThresholdKey& key,
                            const SigningKey& signing, const CombinerKey& combiner,
                            const Passphrase& owner_passphrase,
                            const std::vector<const Passphrase*>& share_passphrases,
                            KdfLimits limits);

struct PartialFile {
  std::string result_sha256;    // the result file these decrypt
  std::string key_fingerprint;  // the Paillier key the share belongs to
  int custodian = 0;
  std::vector<PartialDecryption> partials;
};
// The content, as sealed.
std::string PartialFileToJson(const PartialFile& file);
// Checks the format and every field's type; the caller checks the digest, key and count
// against the result it combines. Errors are Corruption naming `source`.
Result<PartialFile> PartialFileFromJson(const std::string& text, const std::string& source);

// The partial file as decrypt-share writes it: the content sealed to `combiner`.
std::string SealPartialFile(const PartialFile& file, const CombinerPublicKey& combiner);
// The content of a partial file that opens with `combiner`. Errors name `source`: a version 1
// (unsealed) file, InvalidArgument saying the custodian must make it again; a box that does not
// open (sealed to another combiner, or altered), InvalidArgument "SOURCE: not sealed to this
// combiner (...)"; else as PartialFileFromJson.
Result<PartialFile> OpenPartialFile(const std::string& text, const CombinerKey& combiner,
                                    const std::string& source);

}  // namespace cipherstat::crypto
