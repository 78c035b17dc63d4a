"""python-paillier (phe + gmpy2) on a sample: per-value encryption and addition rates.

Usage: python_baseline.py [ENCRYPT_VALUES] [ADD_VALUES]
Prints "python_encrypt_values_per_s X" and "python_add_values_per_s Y" for ONE thread
(python-paillier is single-threaded; bench/e2e.sh scales by the thread count).
"""
import sys
import time

import gmpy2  # noqa: F401  (phe uses it when present; fail loudly if it is not)
from phe import paillier


def main():
    enc_n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    add_n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    pk, _sk = paillier.generate_paillier_keypair(n_length=2048)
    values = [(i * 7919) % 100000 for i in range(enc_n)]
    t = time.perf_counter()
    cts = [pk.encrypt(v) for v in values]
    enc_s = time.perf_counter() - t
    acc = cts[0]
    t = time.perf_counter()
    for i in range(add_n):
        acc = acc + cts[i % enc_n]
    add_s = time.perf_counter() - t
    print("python_encrypt_sample_values %d" % enc_n)
    print("python_encrypt_values_per_s %.1f" % (enc_n / enc_s))
    print("python_add_sample_values %d" % add_n)
    print("python_add_values_per_s %.1f" % (add_n / add_s))


if __name__ == "__main__":
    main()
