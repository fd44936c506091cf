// libFuzzer target: the input is a JSON Lines file for `complycli audit import`, imported into a
// real audit log (SQLite, hash chain, checkpoints) that is started afresh every 1000 inputs.
#include "fuzz_support.hpp"

#include "auditlog/auditlog.hpp"

#include <memory>
#include <optional>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  using namespace complycli;
  static std::optional<auditlog::AuditLog> log;
  static int uses = 0;
  const auto dir = fuzz::scratch_dir() / "audit";
  if (!log || ++uses % 1000 == 0) {
    log.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir);
    log.emplace(fuzz::need(auditlog::AuditLog::open(dir / "audit.db", dir / "log.key")));
  }
  std::istringstream input(fuzz::text_of(data, size));
  (void)log->import(input, "import.jsonl", "fuzz");
  return 0;
}
