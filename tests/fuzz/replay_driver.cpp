// Runs a libFuzzer target without libFuzzer: every file of the seed corpus,
// then deterministic pseudo-random inputs, so gcc builds exercise each parser
// under ctest. The real fuzzer is the WZP_FUZZ=ON clang build.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  // Every target has a checked-in seed corpus: a missing or empty folder
  // means a renamed target or a lost corpus, and must not pass unnoticed.
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " <seed corpus folder>...\n";
    return 2;
  }
  size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path dir(argv[i]);
    if (!std::filesystem::is_directory(dir)) {
      std::cerr << "no seed corpus at " << dir << "\n";
      return 1;
    }
    size_t here = 0;
    for (const auto &entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      if (!in) {
        std::cerr << "cannot read " << entry.path() << "\n";
        return 1;
      }
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++here;
    }
    if (here == 0) {
      std::cerr << "seed corpus " << dir << " is empty\n";
      return 1;
    }
    files += here;
  }
  std::mt19937 rng(0x77a9);
  std::vector<uint8_t> buf;
  constexpr int kRandomInputs = 20000;
  for (int i = 0; i < kRandomInputs; ++i) {
    buf.resize(rng() % 1500);
    for (auto &b : buf) b = static_cast<uint8_t>(rng());
    // Keep a valid-looking first byte often, so parsers get past the version check.
    if (!buf.empty() && (i & 1)) buf[0] = static_cast<uint8_t>(0x40 | (buf[0] & 0x3f));
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  std::cout << "replayed " << files << " corpus files and " << kRandomInputs << " random inputs\n";
  return 0;
}
