#include "store/pg_libpq.hpp"

#include "util/shared_library.hpp"

namespace complycli::store::pg {

const Libpq &libpq()
{
  static const Libpq loaded = [] {
    util::SharedLibrary library("libpq.so.5");
    Libpq l;
    library.find("PQerrorMessage", l.PQerrorMessage);
    library.find("PQclear", l.PQclear);
    library.find("PQntuples", l.PQntuples);
    library.find("PQgetisnull", l.PQgetisnull);
    library.find("PQgetvalue", l.PQgetvalue);
    library.find("PQgetlength", l.PQgetlength);
    library.find("PQexecParams", l.PQexecParams);
    library.find("PQresultStatus", l.PQresultStatus);
    library.find("PQstatus", l.PQstatus);
    library.find("PQexec", l.PQexec);
    library.find("PQconninfoParse", l.PQconninfoParse);
    library.find("PQfreemem", l.PQfreemem);
    library.find("PQconninfoFree", l.PQconninfoFree);
    library.find("PQconnectdbParams", l.PQconnectdbParams);
    library.find("PQfinish", l.PQfinish);
    library.find("PQputCopyData", l.PQputCopyData);
    library.find("PQputCopyEnd", l.PQputCopyEnd);
    library.find("PQgetResult", l.PQgetResult);
    library.find("PQgetCopyData", l.PQgetCopyData);
    library.find("PQescapeLiteral", l.PQescapeLiteral);
    l.error = library.error();
    l.loaded = l.error.empty();
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
