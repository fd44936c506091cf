#pragma once

// Which keystore a workspace uses: the SQLite file in its folder, or the PostgreSQL store its settings
// name (`init --store`), where every workspace joined to the same URL shares the matters.

#include "core/workspace.hpp"
#include "store/key_store.hpp"
#include "util/sqlite_read_only.hpp"

#include <memory>

namespace complycli::store {

Result<std::unique_ptr<KeyStore>> open_workspace_keys(const core::Workspace &workspace, util::Access access);

} // namespace complycli::store
