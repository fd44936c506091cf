#pragma once

// libpq's functions, loaded with dlopen when a PostgreSQL store is first used (store/pg_conn.hpp
// names them as libpq's own functions for the stores' code).

#include "core/error.hpp"

#include <libpq-fe.h>
#include <string>

namespace complycli::store::pg {

// libpq is loaded when a PostgreSQL store is first used, not linked: it brings some twenty shared
// libraries (Kerberos, LDAP, ...) whose loading would slow the start of every complycli process,
// most of which never talk to a server (docs/audit-log.md, "What a single append costs").
struct Libpq {
  bool loaded = false;
  std::string error;
  decltype(&::PQerrorMessage) PQerrorMessage = nullptr;
  decltype(&::PQclear) PQclear = nullptr;
  decltype(&::PQntuples) PQntuples = nullptr;
  decltype(&::PQgetisnull) PQgetisnull = nullptr;
  decltype(&::PQgetvalue) PQgetvalue = nullptr;
  decltype(&::PQgetlength) PQgetlength = nullptr;
  decltype(&::PQexecParams) PQexecParams = nullptr;
  decltype(&::PQresultStatus) PQresultStatus = nullptr;
  decltype(&::PQstatus) PQstatus = nullptr;
  decltype(&::PQexec) PQexec = nullptr;
  decltype(&::PQconninfoParse) PQconninfoParse = nullptr;
  decltype(&::PQfreemem) PQfreemem = nullptr;
  decltype(&::PQconninfoFree) PQconninfoFree = nullptr;
  decltype(&::PQconnectdbParams) PQconnectdbParams = nullptr;
  decltype(&::PQfinish) PQfinish = nullptr;
  decltype(&::PQputCopyData) PQputCopyData = nullptr;
  decltype(&::PQputCopyEnd) PQputCopyEnd = nullptr;
  decltype(&::PQgetResult) PQgetResult = nullptr;
  decltype(&::PQgetCopyData) PQgetCopyData = nullptr;
  decltype(&::PQescapeLiteral) PQescapeLiteral = nullptr;
};

const Libpq &libpq();
// Errc::io with an install hint when libpq.so.5 could not be loaded.
Result<void> need_libpq();

} // namespace complycli::store::pg
