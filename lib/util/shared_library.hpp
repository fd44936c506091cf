#pragma once

// A shared library loaded with dlopen when a command first needs it (libpq for a PostgreSQL store,
// libxlsxwriter for XLSX answers), so that it and the libraries it loads in turn do not slow every
// process's start. The library stays loaded for the rest of the process.

#include <dlfcn.h>

#include <string>

namespace complycli::util {

class SharedLibrary {
public:
  explicit SharedLibrary(const char* soname) : m_soname(soname), m_handle(dlopen(soname, RTLD_NOW | RTLD_LOCAL))
  {
    if (m_handle == nullptr) {
      const char* why = dlerror();
      m_error = why != nullptr ? why : m_soname + " not found";
    }
  }

  // Point `function` at the library's function `name`; a missing one is remembered in error().
  template <typename Function>
  void find(const char* name, Function& function)
  {
    function = m_handle == nullptr ? nullptr : reinterpret_cast<Function>(dlsym(m_handle, name));
    if (function == nullptr && m_error.empty()) {
      m_error = m_soname + " has no " + name;
    }
  }

  // Empty when the library loaded and every function asked for was found; else why not.
  const std::string& error() const { return m_error; }

private:
  std::string m_soname;
  void* m_handle;
  std::string m_error;
};

} // namespace complycli::util
