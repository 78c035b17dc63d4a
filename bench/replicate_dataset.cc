// A large dataset for memory and throughput measurements without hours of encryption:
//   replicate_dataset SRC DST K
// writes DST whose manifest lists SRC's segments K times over (hard links, so no disk space),
// i.e. K × SRC's records. The owner's signature is not copied (a repeated dataset is not one
// the owner signed), so results from DST decrypt only with --allow-unsigned.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "crypto/init.h"
#include "store/dataset.h"
#include "util/file.h"

int main(int argc, char** argv) {
  using namespace cipherstat;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s SRC DST K\n", argv[0]);
    return 2;
  }
  if (!crypto::Init().ok()) return 1;
  const std::string src = argv[1], dst = argv[2];
  const long copies = std::strtol(argv[3], nullptr, 10);
  auto dataset = OpenDataset(src);
  if (!dataset.ok() || copies < 1) {
    std::fprintf(stderr, "%s\n",
                 dataset.ok() ? "K must be >= 1" : dataset.status().ToString().c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(dst + "/segments", ec);
  std::filesystem::copy_file(src + "/public.key", dst + "/public.key", ec);
  Manifest manifest = dataset->manifest;
  manifest.segments.clear();
  manifest.record_count = 0;
  for (long copy = 0; copy < copies; ++copy) {
    for (const SegmentInfo& segment : dataset->manifest.segments) {
      SegmentInfo repeated = segment;
      repeated.name = "r" + std::to_string(copy) + "-" + segment.name;
      // The public file and every ciphertext column's file, by hard link.
      for (int column = -1; column < dataset->layout.num_ciphertexts(); ++column) {
        const std::string from = dataset->SegmentFile(segment, column);
        const std::string to = dst + "/segments/" + repeated.name + from.substr(from.rfind('.'));
        if (::link(from.c_str(), to.c_str()) != 0) {
          std::perror(to.c_str());
          return 1;
        }
      }
      manifest.record_count += repeated.records;
      manifest.segments.push_back(repeated);
    }
  }
  // Each combination of public values has K times its records. The sealed sums of tag randoms
  // are not scaled (that takes the key), so the owner's check refuses DST's results: DST is
  // for measuring the compute side at scale.
  for (PublicTuple& tuple : manifest.public_tuples) tuple.records *= static_cast<uint64_t>(copies);
  Status written = WriteFileAtomic(dst + "/manifest.json", ManifestToJson(manifest));
  if (!written.ok()) {
    std::fprintf(stderr, "%s\n", written.ToString().c_str());
    return 1;
  }
  std::printf("%s: %llu records (%ld × %s)\n", dst.c_str(),
              static_cast<unsigned long long>(manifest.record_count), copies, src.c_str());
  return 0;
}
