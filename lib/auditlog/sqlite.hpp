#pragma once

// The SQLite connection wrappers moved to lib/store; these names stay for the audit log's callers.

#include "store/sqlite_db.hpp"

namespace complycli::auditlog {

using store::Database;
using store::Statement;
using store::Transaction;

} // namespace complycli::auditlog
