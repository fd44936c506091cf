# COMPLYCLI_FUZZ=ON: the libFuzzer build (make fuzz). Everything is compiled with coverage
# instrumentation, ASan and UBSan (every UBSan report fatal); tests/fuzz links the fuzz targets with
# -fsanitize=fuzzer. Needs clang 16 or later with libstdc++ 12 (see docs/fuzzing.md).
if(COMPLYCLI_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "COMPLYCLI_FUZZ=ON needs clang (-DCMAKE_CXX_COMPILER=clang++-16)")
  endif()
  # libstdc++ 12 offers <expected> only when __cpp_concepts >= 202002L. Clang 16 implements what
  # <expected> needs (P0848, conditionally trivial special members) but still reports 201907L.
  add_compile_options(-U__cpp_concepts -D__cpp_concepts=202002L)
  # _GLIBCXX_ASSERTIONS: bounds checks in std containers, so that an out-of-range index is a finding.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS)
  add_link_options(-fsanitize=address,undefined)
endif()
