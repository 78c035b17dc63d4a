// Keys as the pipeline uses them: created and opened with their audit entries.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "crypto/keystore.h"
#include "crypto/threshold.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// Where a passphrase comes from, given what to ask: the CLI's file, environment or prompt.
using PassphraseSource =
    std::function<Result<std::unique_ptr<crypto::Passphrase>>(const std::string& prompt)>;

// Opens DIR/secret.key. A passphrase that does not open it is recorded as "failed passphrase".
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
};
// Deals a t-of-n key and writes its folder (crypto/threshold_files.h); no whole secret key is
// kept. `share_passphrases[i]` seals custodian i+1's share.
Result<CreatedThresholdKey> CreateThresholdKey(
    const std::string& dir, const ThresholdKeygen& options, const crypto::Passphrase& owner,
    const std::vector<std::unique_ptr<crypto::Passphrase>>& share_passphrases,
    const audit::Trail& trail);

// A custodian's step: partially decrypts every sum of the result at `result_path` with the
// share keystore at `share_path` (proofs included) and writes the partial file to `out`
// (replacing an existing file only with `force`, pipeline/publish.h).
// Only results over datasets the owner signed, unless `allow_unsigned`. Returns the
// custodian's index and the number of partial decryptions.
struct SharedDecryption {
  int custodian = 0;
  size_t partials = 0;
};
Result<SharedDecryption> DecryptShare(const std::string& share_path, const std::string& result_path,
                                      const std::string& out, bool force, bool allow_unsigned,
                                      const PassphraseSource& passphrase, const audit::Trail& trail,
                                      const std::function<void(size_t, size_t)>& progress);

}  // namespace cipherstat::pipeline
