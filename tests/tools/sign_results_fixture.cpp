// Test-only: sign a hand-made check results fixture with a test log key, the way `complycli check
// --results` signs real results (docs/trust-chain.md), so that document tests can render from a
// results file in which every check passed. Never installed; the product signs only runs it recorded.
//
//   sign_results_fixture keygen KEY_FILE PUB_FILE
//   sign_results_fixture sign KEY_FILE PROFILE|none IN OUT

#include "attest/manifest.hpp"
#include "attest/results.hpp"
#include "util/atomic_file.hpp"
#include "util/file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <string>

using namespace complycli;

namespace {

int die(const std::string& message)
{
  fmt::print(stderr, "sign_results_fixture: {}\n", message);
  return 2;
}

} // namespace

int main(int argc, char** argv)
{
  if (sodium_init() < 0) {
    return die("libsodium failed to initialise");
  }
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "keygen" && argc == 4) {
    auto key = auditlog::LogKey::generate();
    if (!key) {
      return die(key.error().message);
    }
    auto written = util::write_file_atomic(argv[2], key->serialize(), util::Overwrite::yes);
    auto pub = util::write_file_atomic(argv[3], key->public_key().vkey() + "\n", util::Overwrite::yes);
    return written && pub ? 0 : die("cannot write the key files");
  }
  if (mode != "sign" || argc != 6) {
    return die("usage: keygen KEY PUB | sign KEY PROFILE|none IN OUT");
  }
  auto key = attest::load_log_key(argv[2]);
  auto text = util::read_file(argv[4]);
  if (!key || !text) {
    return die(!key ? key.error().message : text.error().message);
  }
  auto results = nlohmann::ordered_json::parse(*text);
  attest::Binding binding;
  binding.profile_sha256 = "none";
  if (std::string(argv[3]) != "none") {
    auto profile = util::read_file(argv[3]);
    if (!profile) {
      return die(profile.error().message);
    }
    binding.profile_sha256 = attest::sha256_hex(*profile);
    // The file name only: the signed fixture (and the golden footers that name its SHA-256) must not
    // depend on where the source tree is.
    results["profile"] = {{"path", std::filesystem::path(argv[3]).filename().string()},
                          {"sha256", binding.profile_sha256}};
  } else {
    results["profile"] = nullptr;
  }
  if (!results.contains("today")) {
    results["today"] = results.value("generated", std::string("1970-01-01")).substr(0, 10);
  }
  binding.evaluated = results["today"].get<std::string>();
  binding.checks_sha256 = attest::sha256_hex("test fixture");
  binding.audit_seq = 1;
  binding.audit_hash = std::string(64, '0');
  attest::sign_results(results, binding, *key);
  auto written = util::write_file_atomic(argv[5], results.dump(2) + "\n", util::Overwrite::yes);
  return written ? 0 : die(written.error().message);
}
