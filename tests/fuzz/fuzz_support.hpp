#pragma once

// Shared by the libFuzzer targets in this folder (and the replay driver that runs their bodies over
// the committed seeds and reproducers in the normal build): a scratch folder per process, writing
// one input to a named file in it, and the fixture files the targets load once.

#include "core/error.hpp"

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace complycli::fuzz {

// libsodium set up before any target runs, as cli/main.cpp does (sodium_malloc needs it).
inline const int sodium_ready = sodium_init();

// The key the matter_file target decrypts under (its seeds are encrypted under it).
inline constexpr std::array<uint8_t, 32> matter_test_key = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                            12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                            23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

// The input as text.
inline std::string text_of(const uint8_t* data, std::size_t size)
{
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A folder of this process's own, emptied on first use and removed at exit: /dev/shm when there is
// one (cheap writes).
inline const std::filesystem::path& scratch_dir()
{
  // Never destroyed: the handler that removes the folder at exit runs after static destructors.
  static const std::filesystem::path* const dir = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                                                : std::filesystem::temp_directory_path();
    auto* path = new std::filesystem::path(base / ("complycli-fuzz-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*path, ec);
    std::filesystem::create_directories(*path);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return path;
  }();
  return *dir;
}

// Write `text` to `name` in a fresh sub-folder of the scratch folder (a loader that follows includes
// sees only this file) and return its path.
inline std::filesystem::path write_input(std::string_view name, std::string_view text)
{
  const auto dir = scratch_dir() / "input";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir / std::filesystem::path(name).parent_path());
  const auto path = dir / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    std::abort(); // the harness itself is broken: say so loudly
  }
  return path;
}

// A file of the source tree (fixtures the targets load once).
inline std::filesystem::path source_file(std::string_view relative)
{
  return std::filesystem::path(COMPLYCLI_SOURCE_DIR) / relative;
}

// A result the harness needs to be there (its fixtures): abort, which the fuzzer reports, if not.
template<typename T>
T need(Result<T> result)
{
  if (!result) {
    std::abort();
  }
  return std::move(*result);
}

} // namespace complycli::fuzz
