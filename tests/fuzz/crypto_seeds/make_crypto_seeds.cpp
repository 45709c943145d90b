// Writes fresh valid seeds for the crypto fuzz targets (crypto_seeds.hpp).
// Usage: make_crypto_seeds <repository>/tests/fuzz/corpus
// Rerun it when a message layout or a fuzz target's parties change; the
// test crypto_fuzz_seeds_test fails until the checked-in seeds pass again.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/fuzz/crypto_seeds/crypto_seeds.hpp"

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <tests/fuzz/corpus>\n";
    return 2;
  }
  const std::filesystem::path root(argv[1]);
  for (const auto &seed : wzp::fuzz::make_crypto_seeds()) {
    std::string why;
    if (!wzp::fuzz::passes_first_check(seed.target, seed.name, seed.bytes, why)) {
      std::cerr << seed.target << "/" << seed.name << " is refused: " << why << "\n";
      return 1;
    }
    const std::filesystem::path path = root / seed.target / seed.name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(seed.bytes.data()),
              static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::cerr << "cannot write " << path << "\n";
      return 1;
    }
    std::cout << path.string() << " (" << seed.bytes.size() << " bytes)\n";
  }
  return 0;
}
