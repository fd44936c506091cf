#include "store/pg_libpq.hpp"

#include <dlfcn.h>

namespace complycli::store::pg {

const Libpq &libpq()
{
  static const Libpq loaded = [] {
    Libpq l;
    void *handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char *why = dlerror();
      l.error = why != nullptr ? why : "libpq.so.5 not found";
      return l;
    }
    bool ok = true;
    l.PQerrorMessage = reinterpret_cast<decltype(&::PQerrorMessage)>(dlsym(handle, "PQerrorMessage"));
    ok = ok && l.PQerrorMessage != nullptr;
    l.PQclear = reinterpret_cast<decltype(&::PQclear)>(dlsym(handle, "PQclear"));
    ok = ok && l.PQclear != nullptr;
    l.PQntuples = reinterpret_cast<decltype(&::PQntuples)>(dlsym(handle, "PQntuples"));
    ok = ok && l.PQntuples != nullptr;
    l.PQgetisnull = reinterpret_cast<decltype(&::PQgetisnull)>(dlsym(handle, "PQgetisnull"));
    ok = ok && l.PQgetisnull != nullptr;
    l.PQgetvalue = reinterpret_cast<decltype(&::PQgetvalue)>(dlsym(handle, "PQgetvalue"));
    ok = ok && l.PQgetvalue != nullptr;
    l.PQgetlength = reinterpret_cast<decltype(&::PQgetlength)>(dlsym(handle, "PQgetlength"));
    ok = ok && l.PQgetlength != nullptr;
    l.PQexecParams = reinterpret_cast<decltype(&::PQexecParams)>(dlsym(handle, "PQexecParams"));
    ok = ok && l.PQexecParams != nullptr;
    l.PQresultStatus = reinterpret_cast<decltype(&::PQresultStatus)>(dlsym(handle, "PQresultStatus"));
    ok = ok && l.PQresultStatus != nullptr;
    l.PQstatus = reinterpret_cast<decltype(&::PQstatus)>(dlsym(handle, "PQstatus"));
    ok = ok && l.PQstatus != nullptr;
    l.PQexec = reinterpret_cast<decltype(&::PQexec)>(dlsym(handle, "PQexec"));
    ok = ok && l.PQexec != nullptr;
    l.PQconninfoParse = reinterpret_cast<decltype(&::PQconninfoParse)>(dlsym(handle, "PQconninfoParse"));
    ok = ok && l.PQconninfoParse != nullptr;
    l.PQfreemem = reinterpret_cast<decltype(&::PQfreemem)>(dlsym(handle, "PQfreemem"));
    ok = ok && l.PQfreemem != nullptr;
    l.PQconninfoFree = reinterpret_cast<decltype(&::PQconninfoFree)>(dlsym(handle, "PQconninfoFree"));
    ok = ok && l.PQconninfoFree != nullptr;
    l.PQconnectdbParams = reinterpret_cast<decltype(&::PQconnectdbParams)>(dlsym(handle, "PQconnectdbParams"));
    ok = ok && l.PQconnectdbParams != nullptr;
    l.PQfinish = reinterpret_cast<decltype(&::PQfinish)>(dlsym(handle, "PQfinish"));
    ok = ok && l.PQfinish != nullptr;
    l.PQputCopyData = reinterpret_cast<decltype(&::PQputCopyData)>(dlsym(handle, "PQputCopyData"));
    ok = ok && l.PQputCopyData != nullptr;
    l.PQputCopyEnd = reinterpret_cast<decltype(&::PQputCopyEnd)>(dlsym(handle, "PQputCopyEnd"));
    ok = ok && l.PQputCopyEnd != nullptr;
    l.PQgetResult = reinterpret_cast<decltype(&::PQgetResult)>(dlsym(handle, "PQgetResult"));
    ok = ok && l.PQgetResult != nullptr;
    l.loaded = ok;
    if (!ok) {
      l.error = "libpq.so.5 lacks a function complycli needs";
    }
    return l;
  }();
  return loaded;
}

Result<void> need_libpq()
{
  if (!libpq().loaded) {
    return fail_with_hint(Errc::io, "install libpq5 (apt-get install libpq5)",
                          "cannot use a PostgreSQL store: {}", libpq().error);
  }
  return {};
}

} // namespace complycli::store::pg
