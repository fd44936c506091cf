// fuzz_replay: runs the fuzz targets' bodies over files, without libFuzzer (any compiler).
//   fuzz_replay DIR...          every file of DIR/<target>/ through that target
//   fuzz_replay TARGET FILE...  the files through one target (a reproducer, say)
//   fuzz_replay --make-matter-seeds DIR   write matter files encrypted under the matter_file target's
//                               key (the seeds of tests/fuzz/seeds/matter_file were made so)
// A crash or sanitizer report fails it, as in the fuzzer; so does a folder named after no target.

#include "fuzz_support.hpp"

#include "crypto/matter_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#define COMPLYCLI_FUZZ_TARGET(name) extern "C" int complycli_fuzz_##name(const uint8_t* data, std::size_t size);
#include "fuzz_targets.inc"
#undef COMPLYCLI_FUZZ_TARGET

namespace {

using TargetFn = int (*)(const uint8_t*, std::size_t);

const std::map<std::string, TargetFn>& targets()
{
#define COMPLYCLI_FUZZ_TARGET(name) {#name, &complycli_fuzz_##name},
  static const std::map<std::string, TargetFn> table = {
#include "fuzz_targets.inc"
  };
#undef COMPLYCLI_FUZZ_TARGET
  return table;
}

bool run_file(TargetFn fn, const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz_replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Like libFuzzer, hand the target a buffer of exactly the input's size (ASan sees overreads).
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  fn(copy.empty() ? nullptr : copy.data(), copy.size());
  return true;
}

// Matter files of 0 bytes, a line, one full chunk (and the empty final chunk) and two chunks.
int make_matter_seeds(const std::filesystem::path& dir)
{
  using namespace complycli;
  const auto key = fuzz::need(crypto::SecretBytes::copy_of(fuzz::matter_test_key));
  crypto::MatterFileHeader header;
  header.matter_id = {0xc0, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  header.key_version = 3;
  std::filesystem::create_directories(dir);
  const std::vector<std::pair<std::string, std::size_t>> seeds = {
      {"empty", 0}, {"line", 12}, {"one-chunk", 16384}, {"two-chunks", 16400}};
  for (const auto& [name, size] : seeds) {
    std::string plaintext;
    for (std::size_t i = 0; i < size; ++i) {
      plaintext += static_cast<char>('a' + i % 26);
    }
    const int in = ::memfd_create("plaintext", 0);
    if (in < 0 || ::write(in, plaintext.data(), plaintext.size()) != static_cast<ssize_t>(plaintext.size())) {
      return 3;
    }
    ::lseek(in, 0, SEEK_SET);
    const auto path = dir / name;
    const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || !crypto::encrypt_stream(in, out, header, key)) {
      return 3;
    }
    ::close(in);
    ::close(out);
  }
  return 0;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc == 3 && std::string(argv[1]) == "--make-matter-seeds") {
    return make_matter_seeds(argv[2]);
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuzz_replay DIR... | fuzz_replay TARGET FILE...\n");
    return 2;
  }
  const auto& table = targets();
  int files = 0;
  if (auto it = table.find(argv[1]); it != table.end()) {
    for (int i = 2; i < argc; ++i) {
      if (!run_file(it->second, argv[i])) {
        return 3;
      }
      ++files;
    }
    std::printf("fuzz_replay: %d inputs through %s\n", files, argv[1]);
    return 0;
  }
  std::map<std::string, int> per_target;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (!std::filesystem::is_directory(argv[i], ec)) {
      std::fprintf(stderr, "fuzz_replay: %s: not a folder nor a target name\n", argv[i]);
      return 2;
    }
    for (const auto& folder : std::filesystem::directory_iterator(argv[i])) {
      if (!folder.is_directory()) {
        continue;
      }
      const auto name = folder.path().filename().string();
      const auto it = table.find(name);
      if (it == table.end()) {
        std::fprintf(stderr, "fuzz_replay: %s: no fuzz target is named %s\n", folder.path().c_str(), name.c_str());
        return 2;
      }
      std::vector<std::filesystem::path> paths;
      for (const auto& file : std::filesystem::directory_iterator(folder.path())) {
        if (file.is_regular_file()) {
          paths.push_back(file.path());
        }
      }
      std::sort(paths.begin(), paths.end());
      for (const auto& path : paths) {
        if (!run_file(it->second, path)) {
          return 3;
        }
        ++per_target[name];
        ++files;
      }
    }
  }
  std::printf("fuzz_replay: %d inputs", files);
  for (const auto& [name, count] : per_target) {
    std::printf(", %s %d", name.c_str(), count);
  }
  std::printf("\n");
  return 0;
}
