# The libraries complycli builds on, all from Debian packages (scripts/install-deps), as one
# interface target: complycli_deps.
#
# COMPLYCLI_STATIC_DEPS=ON (the default for normal builds) links the static archives that the same
# -dev packages ship (OpenSSL, libsodium, SQLite, yaml-cpp), fmt header-only, and libstdc++/libgcc
# statically. Only glibc stays shared. Why: complycli is a short-lived process that scripts call many
# times (one `audit append` per event), and resolving the symbols of eight shared libraries took
# longer than the work itself: `complycli --version` took 3.1 ms dynamically linked and 1.9 ms
# statically (docs/audit-log.md, "What a single append costs"). Sanitizer and fuzz builds keep the shared libraries, as
# the sanitizer runtimes expect.
if(ENABLE_SANITIZER_ADDRESS OR ENABLE_SANITIZER_UNDEFINED_BEHAVIOR OR ENABLE_SANITIZER_THREAD
   OR COMPLYCLI_FUZZ)
  set(static_default OFF)
else()
  set(static_default ON)
endif()
option(COMPLYCLI_STATIC_DEPS "Link the dependencies statically (faster start-up)" ${static_default})

find_package(CLI11 CONFIG REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

add_library(complycli_deps INTERFACE)
target_link_libraries(complycli_deps INTERFACE nlohmann_json::nlohmann_json Threads::Threads)

find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
if(COMPLYCLI_STATIC_DEPS)
  # The archives by their file names, in cache variables of their own (FindOpenSSL and FindSQLite3
  # cache the shared libraries they found first).
  foreach(archive crypto ssl sqlite3 sodium yaml-cpp)
    string(TOUPPER "${archive}" name)
    string(REPLACE "-" "_" name "${name}")
    find_library(COMPLYCLI_${name}_ARCHIVE NAMES lib${archive}.a REQUIRED)
  endforeach()
  pkg_check_modules(SODIUM REQUIRED libsodium)
  get_target_property(yaml_cpp_includes yaml-cpp INTERFACE_INCLUDE_DIRECTORIES)

  target_include_directories(complycli_deps SYSTEM INTERFACE ${OPENSSL_INCLUDE_DIR}
    ${SQLite3_INCLUDE_DIRS} ${SODIUM_INCLUDE_DIRS} ${yaml_cpp_includes})
  target_link_libraries(complycli_deps INTERFACE fmt::fmt-header-only ${COMPLYCLI_SSL_ARCHIVE}
    ${COMPLYCLI_CRYPTO_ARCHIVE} ${COMPLYCLI_SQLITE3_ARCHIVE} ${COMPLYCLI_SODIUM_ARCHIVE}
    ${COMPLYCLI_YAML_CPP_ARCHIVE} ${CMAKE_DL_LIBS} m)
  target_link_options(complycli_deps INTERFACE -static-libstdc++ -static-libgcc)
else()
  pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
  target_link_libraries(complycli_deps INTERFACE fmt::fmt yaml-cpp OpenSSL::SSL OpenSSL::Crypto
    SQLite::SQLite3 PkgConfig::SODIUM)
endif()

# Questionnaires (lib/questionnaire): XLSX is read with minizip and pugixml (static archives, as
# above) and written with libxlsxwriter, which Debian ships only as a shared library: its header at
# build time, the library loaded with dlopen when a sheet is written (questionnaire/sheet_xlsx.cpp), so
# that it and the libcrypto.so.3, libminizip and zlib it loads do not slow every process's start.
pkg_check_modules(XLSXWRITER REQUIRED xlsxwriter)
target_include_directories(complycli_deps SYSTEM INTERFACE ${XLSXWRITER_INCLUDE_DIRS})
target_link_libraries(complycli_deps INTERFACE ${CMAKE_DL_LIBS})
if(COMPLYCLI_STATIC_DEPS)
  foreach(archive minizip pugixml z)
    string(TOUPPER "${archive}" name)
    find_library(COMPLYCLI_${name}_ARCHIVE NAMES lib${archive}.a REQUIRED)
  endforeach()
  pkg_check_modules(MINIZIP REQUIRED minizip)
  target_link_libraries(complycli_deps INTERFACE ${COMPLYCLI_MINIZIP_ARCHIVE} ${COMPLYCLI_PUGIXML_ARCHIVE}
    ${COMPLYCLI_Z_ARCHIVE})
else()
  pkg_check_modules(MINIZIP REQUIRED IMPORTED_TARGET minizip)
  pkg_check_modules(PUGIXML REQUIRED IMPORTED_TARGET pugixml)
  target_link_libraries(complycli_deps INTERFACE PkgConfig::MINIZIP PkgConfig::PUGIXML)
endif()
