# Helpers shared by every layer: warnings, sanitizers, tests and benchmarks.

if(GCSIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# ThreadSanitizer, for the concurrency tests (tests/tsan.supp says what is suppressed and why).
if(GCSIM_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# libFuzzer needs clang. Every gcsim library gets coverage instrumentation and ASan/UBSan; only
# the fuzz targets link the fuzzer's main (gcsim_add_fuzzer).
if(GCSIM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GCSIM_FUZZ needs clang for libFuzzer: -DCMAKE_CXX_COMPILER=clang++ "
                        "(scripts/fuzz does it)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# Warnings for gcsim's own targets only; third-party headers come in as system includes.
function(gcsim_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wno-missing-field-initializers)  # designated initializers rely on member defaults
  if(GCSIM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# The programs' allocator (see GCSIM_TCMALLOC in the top CMakeLists.txt), its heap on huge pages
# (common/src/huge_page_heap.cc).
function(gcsim_allocator target)
  if(GCSIM_USE_TCMALLOC)
    target_link_libraries(${target} PRIVATE PkgConfig::TCMALLOC gcsim_huge_page_heap)
  endif()
endfunction()

# gcsim_library(NAME name ALIAS alias SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
function(gcsim_library)
  cmake_parse_arguments(ARG "" "NAME;ALIAS" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(gcsim::${ARG_ALIAS} ALIAS ${ARG_NAME})
  target_include_directories(${ARG_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  gcsim_warnings(${ARG_NAME})
endfunction()

# gcsim_add_test(name SOURCES ... DEPS ...): one GoogleTest binary in build/tests/, each test
# registered with ctest as "<name>.<Suite>.<Test>", so `ctest -R server_test` picks a binary.
function(gcsim_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gcsim_warnings(${name})
  gtest_discover_tests(${name} TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
endfunction()

# gcsim_add_benchmark(name SOURCES ... DEPS ...): a Google Benchmark program in build/bench/.
function(gcsim_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  gcsim_allocator(${name})
  gcsim_warnings(${name})
endfunction()

# gcsim_add_fuzzer(name SOURCES ... DEPS ... SEEDS dir...): a libFuzzer target in build/fuzz/,
# registered with ctest as "fuzz.<name>" for a short run (GCSIM_FUZZ_SECONDS) over its seeds.
# New inputs go to build/fuzz-corpus/<name>, never into the seed directories.
function(gcsim_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;SEEDS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  gcsim_warnings(${name})
  set(corpus ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
  file(MAKE_DIRECTORY ${corpus} ${CMAKE_BINARY_DIR}/fuzz-artifacts)
  add_test(NAME fuzz.${name}
           COMMAND ${name} -max_total_time=${GCSIM_FUZZ_SECONDS} -seed=1 -print_final_stats=1
                   -dict=${PROJECT_SOURCE_DIR}/tests/fuzz/json.dict
                   -artifact_prefix=${CMAKE_BINARY_DIR}/fuzz-artifacts/${name}-
                   ${corpus} ${ARG_SEEDS})
  set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 300 LABELS fuzz)
endfunction()


# gcsim_embed_files(OUTPUT out.cc HEADER name.h FUNCTION Name NAMESPACE ns BASE dir FILES ...):
# generates out.cc, which defines `std::span<const EmbeddedFile> Name()` (declared in name.h)
# holding each file under BASE with its content type; regenerated when a file changes.
function(gcsim_embed_files)
  cmake_parse_arguments(ARG "" "OUTPUT;HEADER;FUNCTION;NAMESPACE;BASE" "FILES" ${ARGN})
  set(inputs)
  foreach(name IN LISTS ARG_FILES)
    list(APPEND inputs ${ARG_BASE}/${name})
  endforeach()
  string(REPLACE ";" "," files "${ARG_FILES}")  # a list would split the command line
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ARG_OUTPUT} -DHEADER=${ARG_HEADER}
            -DFUNCTION=${ARG_FUNCTION} -DNAMESPACE=${ARG_NAMESPACE} -DBASE=${ARG_BASE}
            -DFILES=${files} -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${ARG_FILES}"
    VERBATIM)
endfunction()
