# Flags every target shares: language level and debug-mode library assertions.
add_library(standard_settings INTERFACE)
target_compile_features(standard_settings INTERFACE cxx_std_23)
set(CMAKE_CXX_EXTENSIONS OFF)
target_compile_definitions(standard_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
