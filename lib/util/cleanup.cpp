#include "util/cleanup.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>

namespace complycli::util {

namespace {

constexpr std::size_t max_files = 64;
constexpr std::size_t max_path = 4096;

struct Slot {
  std::atomic<bool> used{false};
  std::atomic<bool> ready{false};
  char path[max_path];
};

std::array<Slot, max_files> g_slots;

} // namespace

int register_file_for_cleanup(const std::string& path)
{
  if (path.size() >= max_path) {
    return -1;
  }
  for (std::size_t i = 0; i < max_files; ++i) {
    bool expected = false;
    if (g_slots[i].used.compare_exchange_strong(expected, true)) {
      std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].ready.store(true);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void forget_file(int slot)
{
  if (slot < 0 || static_cast<std::size_t>(slot) >= max_files) {
    return;
  }
  g_slots[static_cast<std::size_t>(slot)].ready.store(false);
  g_slots[static_cast<std::size_t>(slot)].used.store(false);
}

void remove_registered_files() noexcept
{
  for (auto& slot : g_slots) {
    if (slot.ready.load()) {
      ::unlink(slot.path);
    }
  }
}

} // namespace complycli::util
