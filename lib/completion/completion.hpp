#pragma once

// Shell completion scripts (bash, zsh, fish) generated from a description of the command line: the
// CLI walks its CLI11 definitions into a `Command` tree and this module writes the script. Option
// values come from the definitions (a fixed list such as --format's), else complete as files, or
// as the workspace's matter names (asked of `complycli completion --list-matters` at completion time).

#include "core/error.hpp"

#include <string>
#include <vector>

namespace complycli::completion {

enum class Value { none, file, word_list, matter };

struct Option {
  std::vector<std::string> names; // "--format", "-o"
  std::string description;
  Value value = Value::none;      // none: a flag
  std::vector<std::string> words; // for Value::word_list
};

struct Command {
  std::string name;        // "complycli", "check", "list"
  std::string description;
  std::vector<Option> options;
  Value positional = Value::none; // what a bare argument completes to (when there are no subcommands)
  std::vector<Command> subcommands;
};

// The values a description lists: "table, json or oscal (a component definition)" ->
// {table, json, oscal}; "Lowest severity ...: low, medium, high, critical" -> {low, medium, high,
// critical}; "Only checks mapped to this framework (soc2, gdpr)" -> {soc2, gdpr}. Empty when the
// description lists no values.
std::vector<std::string> listed_values(const std::string& description);

// The scripts. Errc::usage for a shell other than bash, zsh or fish.
Result<std::string> script(const Command& root, const std::string& shell);

} // namespace complycli::completion
