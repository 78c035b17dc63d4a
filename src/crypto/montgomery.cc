#include "crypto/montgomery.h"

#include <algorithm>

namespace cipherstat::crypto {

MontgomeryModulus::MontgomeryModulus(const BigInt& modulus, bool allow_ifma)
    : modulus_(modulus), limbs_(mpz_size(modulus.get())) {
  if (allow_ifma && IfmaModulus::Available() &&
      mpz_sizeinbase(modulus.get(), 2) + 2 <= 52 * IfmaModulus::kMaxLimbs) {
    ifma_ = std::make_shared<const IfmaModulus>(modulus);
  }
  n_.assign(mpz_limbs_read(modulus_.get()), mpz_limbs_read(modulus_.get()) + limbs_);
  // N^−1 mod 2^64 by Newton's iteration: each step doubles the correct low bits (N odd, so
  // inv = N is right to 3 bits; 3 → 6 → 12 → 24 → 48 → 96).
  mp_limb_t inv = n_[0];
  for (int i = 0; i < 5; ++i) inv *= 2 - n_[0] * inv;
  n_inv_ = -inv;
  mpz_setbit(r_mod_n_.get(), 64 * limbs_);
  mpz_mod(r_mod_n_.get(), r_mod_n_.get(), modulus_.get());
}

void MontgomeryModulus::MulRedc(mp_limb_t* out, const mp_limb_t* a, const mp_limb_t* b) const {
  const size_t k = limbs_;
  // Per-thread scratch: the double-width product and the deferred row carries.
  thread_local std::vector<mp_limb_t> t;
  if (t.size() < 2 * k) t.resize(2 * k);
  if (a == b) {
    mpn_sqr(t.data(), a, static_cast<mp_size_t>(k));
  } else {
    mpn_mul_n(t.data(), a, b, static_cast<mp_size_t>(k));
  }
  Redc(out, t.data());
}

void MontgomeryModulus::MulRedcSecret(mp_limb_t* out, const mp_limb_t* a,
                                      const mp_limb_t* b) const {
  const auto k = static_cast<mp_size_t>(limbs_);
  thread_local std::vector<mp_limb_t> t, scratch;
  if (t.size() < 2 * limbs_) t.resize(2 * limbs_);
  scratch.resize(static_cast<size_t>(mpn_sec_mul_itch(k, k)));
  mpn_sec_mul(t.data(), a, k, b, k, scratch.data());
  Redc(out, t.data());
}

void MontgomeryModulus::Redc(mp_limb_t* out, mp_limb_t* t) const {
  const size_t k = limbs_;
  thread_local std::vector<mp_limb_t> carries;
  if (carries.size() < k) carries.resize(k);
  // Row i clears limb i by adding u·N·2^(64i); its carry belongs at limb i + k, which no later
  // row reads to choose its u, so all carries are added in one pass at the end.
  for (size_t i = 0; i < k; ++i) {
    const mp_limb_t u = t[i] * n_inv_;
    carries[i] = mpn_addmul_1(t + i, n_.data(), static_cast<mp_size_t>(k), u);
  }
  // (a·b + U·N)/R < 2N since a, b < N < R: at most one subtraction, made without a branch.
  const auto size = static_cast<mp_size_t>(k);
  const mp_limb_t carry = mpn_add_n(out, t + k, carries.data(), size);
  const mp_limb_t borrow = mpn_sub_n(t, out, n_.data(), size);  // out − N < 0?
  mpn_cnd_sub_n(carry | (borrow ^ 1), out, out, n_.data(), size);
}

void MontgomeryModulus::ToLimbs(const BigInt& x, mp_limb_t* out) const {
  const size_t size = mpz_size(x.get());
  const mp_limb_t* src = mpz_limbs_read(x.get());
  std::copy(src, src + size, out);
  std::fill(out + size, out + limbs_, mp_limb_t{0});
}

BigInt MontgomeryModulus::FromLimbs(const mp_limb_t* x) const {
  BigInt out;
  mp_limb_t* dst = mpz_limbs_write(out.get(), static_cast<mp_size_t>(limbs_));
  std::copy(x, x + limbs_, dst);
  mpz_limbs_finish(out.get(), static_cast<mp_size_t>(limbs_));
  return out;
}

BigInt MontgomeryModulus::ToMontgomery(const BigInt& x) const {
  BigInt out;
  mpz_mul(out.get(), x.get(), r_mod_n_.get());
  mpz_mod(out.get(), out.get(), modulus_.get());
  return out;
}

BigInt MontgomeryModulus::FromMontgomery(const BigInt& x) const {
  std::vector<mp_limb_t> a(limbs_), one(limbs_, 0);
  one[0] = 1;
  ToLimbs(x, a.data());
  MulRedc(a.data(), a.data(), one.data());
  return FromLimbs(a.data());
}

BigInt MontgomeryModulus::RPower(uint64_t e) const {
  BigInt exponent, out;
  mpz_import(exponent.get(), 1, -1, sizeof(e), 0, 0, &e);
  mpz_powm(out.get(), r_mod_n_.get(), exponent.get(), modulus_.get());
  return out;
}

// --- ProductAccumulator ----------------------------------------------------------------------

void ProductAccumulator::Multiply(const BigInt& x) {
  thread_local std::vector<mp_limb_t> padded;
  if (padded.size() < modulus_->limbs()) padded.resize(modulus_->limbs());
  modulus_->ToLimbs(x, padded.data());
  MultiplyLimbs(padded.data());
}

void ProductAccumulator::MultiplyLimbs(const mp_limb_t* x) {
  const size_t k = modulus_->limbs();
  if (factors_ == 0) {
    value_.assign(x, x + k);
    factors_ = 1;
    return;
  }
  ++factors_;
  if (modulus_->ifma() != nullptr && factors_ > kScalarFactors) {
    AddToLanes(x);
    return;
  }
  modulus_->MulRedc(value_.data(), value_.data(), x);
  ++reductions_;
}

void ProductAccumulator::AddToLanes(const mp_limb_t* x) {
  const IfmaModulus& ifma = *modulus_->ifma();
  if (lane_products_.empty()) {
    lane_products_.resize(ifma.limbs());
    lane_pending_.resize(ifma.limbs());
    ifma.SetOne(lane_products_.data());
  }
  ifma.SetLane(lane_pending_.data(), pending_, x, modulus_->limbs());
  ++lane_factors_;
  if (++pending_ == IfmaModulus::kLanes) {
    ifma.Multiply(lane_products_.data(), lane_products_.data(), lane_pending_.data());
    pending_ = 0;
  }
}

void ProductAccumulator::Merge(const ProductAccumulator& other) {
  if (other.factors_ == 0) return;
  if (factors_ == 0) {
    *this = other;
    return;
  }
  if (lane_factors_ == 0 && other.lane_factors_ == 0) {
    modulus_->MulRedc(value_.data(), value_.data(), other.value_.data());
    factors_ += other.factors_;
    reductions_ += other.reductions_ + 1;
    return;
  }
  Multiply(other.Finish());
  factors_ += other.factors_ - 1;
}

// Lane l holds R·(its factors)·R^−(its factor count); the pending lanes are multiplied in
// with R (the Montgomery one) in the empty lanes, so the eight lanes together hold
// (all lane factors)·R^(8 − lane_factors_).
BigInt ProductAccumulator::FinishLanes() const {
  const IfmaModulus& ifma = *modulus_->ifma();
  std::vector<LaneBlock> products = lane_products_;
  if (pending_ > 0) {
    std::vector<LaneBlock> pending = lane_pending_;
    ifma.SetOne(pending.data(), pending_);
    ifma.Multiply(products.data(), products.data(), pending.data());
  }
  BigInt out =
      ifma.RPower(static_cast<int64_t>(lane_factors_) - static_cast<int64_t>(IfmaModulus::kLanes));
  for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) {
    mpz_mul(out.get(), out.get(), ifma.GetLane(products.data(), lane).get());
    mpz_mod(out.get(), out.get(), modulus_->modulus().get());
  }
  return out;
}

BigInt ProductAccumulator::Finish() const {
  if (factors_ == 0) return BigInt(1);
  BigInt out = modulus_->FromLimbs(value_.data());
  if (reductions_ > 0) {
    mpz_mul(out.get(), out.get(), modulus_->RPower(reductions_).get());
    mpz_mod(out.get(), out.get(), modulus_->modulus().get());
  }
  if (lane_factors_ > 0) {
    mpz_mul(out.get(), out.get(), FinishLanes().get());
    mpz_mod(out.get(), out.get(), modulus_->modulus().get());
  }
  return out;
}

}  // namespace cipherstat::crypto
