#include "util/data_dir.hpp"

#include <system_error>

namespace complycli::util {

std::filesystem::path installed_data_dir()
{
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.parent_path().filename() == "bin") {
    const auto beside = exe.parent_path().parent_path() / "share" / "complycli";
    if (std::filesystem::is_directory(beside, ec)) {
      return beside;
    }
  }
  return COMPLYCLI_DATA_DIR;
}

} // namespace complycli::util
