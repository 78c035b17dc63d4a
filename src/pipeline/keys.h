// Keys as the pipeline uses them: created and opened with their audit entries.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "crypto/keystore.h"
#include "crypto/threshold.h"
#include "crypto/threshold_files.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// Where a passphrase comes from, given what to ask: the CLI's file, environment or prompt.
using PassphraseSource =
    std::function<Result<std::unique_ptr<crypto::Passphrase>>(const std::string& prompt)>;

// Records why a keystore did not open, as `event` with the failure as its detail: "failed
// passphrase" only when a passphrase did not open a well-formed keystore
// (crypto::IsWrongPassphrase: a wrong passphrase, or an altered keystore, which cannot be told
// apart); "corrupt keystore" when the file is damaged or truncated, or its sealed content is
// not a key (Corruption: worth a trace, as it may have been tampered with); no entry for the
// rest (no such file, unreadable, a newer version, a kind that cannot be used here: nothing was
// tried against the key, and the user sees the error). Returns `failure`.
Status RecordKeystoreFailure(const audit::Trail& trail, audit::Event event, const Status& failure);

// Opens DIR/secret.key, checking that it is a readable keystore before asking for the
// passphrase. Failures are audited by RecordKeystoreFailure.
Result<crypto::OwnerKey> OpenOwnerKey(const std::string& dir, const PassphraseSource& passphrase,
                                      const audit::Trail& trail);

// Generates a key and writes DIR/public.key and DIR/secret.key (audited as "keygen").
Result<crypto::OwnerKey> CreateOwnerKey(const std::string& dir, int bits,
                                        const crypto::Passphrase& passphrase,
                                        crypto::KdfLimits limits, const audit::Trail& trail);

struct ThresholdKeygen {
  int bits = crypto::kDefaultKeyBits;
  int custodians = 0;
  int threshold = 0;
  crypto::KdfLimits limits = crypto::DefaultKdfLimits();
};
struct CreatedThresholdKey {
  std::string fingerprint;
  std::string owner_verify_key;  // hex
  std::string combiner_key;      // hex X25519 (crypto/combiner.h)
};
// Deals a t-of-n key and writes its folder (crypto/threshold_files.h); no whole secret key is
// kept. `share_passphrases[i]` seals custodian i+1's share; `owner` seals the owner's signing
// key and the designated combiner's key (combiner.key: the owner combines until it hands that
// file, under a passphrase of its own, to someone else).
Result<CreatedThresholdKey> CreateThresholdKey(
    const std::string& dir, const ThresholdKeygen& options, const crypto::Passphrase& owner,
    const std::vector<std::unique_ptr<crypto::Passphrase>>& share_passphrases,
    const audit::Trail& trail);

// A custodian's step: partially decrypts every sum of the result at `result_path` with the
// share keystore at `share_path` (proofs included), seals them to the combiner that keystore
// names (crypto/threshold_files.h: nobody else can use them) and writes the partial file to
// `out`, private to its writer like every output (replacing an existing file only with
// `force`, pipeline/publish.h). Only results over datasets the owner signed, unless
// `allow_unsigned`. A share keystore that names no combiner is refused before its passphrase
// (crypto::CheckShareKeystore); one that does not open is audited by RecordKeystoreFailure.
// Returns the custodian's index and the number of partial decryptions.
struct SharedDecryption {
  int custodian = 0;
  size_t partials = 0;
};
Result<SharedDecryption> DecryptShare(const std::string& share_path, const std::string& result_path,
                                      const std::string& out, bool force, bool allow_unsigned,
                                      const PassphraseSource& passphrase, const audit::Trail& trail,
                                      const std::function<void(size_t, size_t)>& progress);

// Opens DIR/combiner.key of the threshold folder `dir`, checking that it is a readable
// keystore of `folder`'s key before asking for the passphrase. Failures are audited by
// RecordKeystoreFailure; a folder without one says that only the designated combiner can
// combine.
Result<crypto::CombinerKey> OpenCombinerKey(const std::string& dir,
                                            const crypto::ThresholdFolder& folder,
                                            const PassphraseSource& passphrase,
                                            const audit::Trail& trail);

}  // namespace cipherstat::pipeline
