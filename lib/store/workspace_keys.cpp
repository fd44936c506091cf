#include "store/workspace_keys.hpp"

#include "store/postgres_keys.hpp"
#include "store/sqlite_keys.hpp"

namespace complycli::store {

Result<std::unique_ptr<KeyStore>> open_workspace_keys(const core::Workspace &workspace, util::Access access)
{
  std::error_code ec;
  if (std::filesystem::exists(workspace.settings_path(), ec)) {
    const auto settings = TRY(core::load_settings(workspace));
    if (settings.store) {
      return std::unique_ptr<KeyStore>(TRY(PostgresKeyStore::open(*settings.store, access)));
    }
  }
  return std::unique_ptr<KeyStore>(TRY(SqliteKeyStore::open(workspace.keystore_path(), access)));
}

} // namespace complycli::store
