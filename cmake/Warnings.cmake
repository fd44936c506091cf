# The warning set every target builds with (see STYLE.md section 7). -Wnull-dereference is left out:
# with g++ 12 at -O2 it fires on libstdc++ code inlined from CLI11 (false positives we cannot fix).
add_library(standard_warnings INTERFACE)
target_compile_options(standard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wcast-align -Wdouble-promotion
  $<$<BOOL:${COMPLYCLI_WARNINGS_AS_ERRORS}>:-Werror>)
