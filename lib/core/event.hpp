#pragma once

// An event worth recording in the audit log: what was done, to what, and how it ended.
// Commands build these; the CLI context hands them to the audit log.

#include <nlohmann/json.hpp>

#include <string>

namespace complycli::core {

enum class Outcome { ok, denied, error };

struct Event {
  std::string action; // dotted verb, e.g. "matter.create", "encrypt", "check.run"
  std::string target; // what it acted on: a matter name, a file path, a document
  Outcome outcome = Outcome::ok;
  nlohmann::json details = nlohmann::json::object();
};

inline const char* to_string(Outcome outcome)
{
  switch (outcome) {
  case Outcome::ok: return "ok";
  case Outcome::denied: return "denied";
  case Outcome::error: return "error";
  }
  return "error";
}

} // namespace complycli::core
