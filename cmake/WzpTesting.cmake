# wzp_add_test(<name> LABEL unit|element|integration SOURCES <files...>
#              [LIBS <targets...>] [TIMEOUT <seconds>] [OWN_MAIN])
#
# Labels say what a test touches: unit runs in one process with no sockets
# and no child processes; element runs GStreamer elements in real pipelines;
# integration opens sockets, runs programs or forks.
# Links GoogleTest's main unless OWN_MAIN (e.g. a main that calls gst_init).
# One GoogleTest binary, one ctest entry. Every test sees WZP_SOURCE_DIR and
# WZP_BUILD_DIR; element and integration tests also get a private GStreamer
# registry that finds our plugins in the build tree beside the system ones.
function(wzp_add_test name)
  cmake_parse_arguments(ARG "OWN_MAIN" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # Test sources are most of the build's compile time, mostly in the
  # GoogleTest, nlohmann-json and GStreamer headers every file of a test
  # parses again: compiled eight to a unit they cost about half
  # (docs/DEVELOPING.md, "Build time").
  set_target_properties(${name} PROPERTIES UNITY_BUILD ${WZP_UNITY_TESTS})
  wzp_target_warnings(${name})
  target_link_libraries(${name} PRIVATE wzp_test_support GTest::gtest GTest::gmock ${ARG_LIBS})
  if(NOT ARG_OWN_MAIN)
    target_link_libraries(${name} PRIVATE GTest::gtest_main)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set(env
    WZP_SOURCE_DIR=${PROJECT_SOURCE_DIR}
    WZP_BUILD_DIR=${PROJECT_BINARY_DIR}
    GST_PLUGIN_PATH_1_0=${WZP_PLUGIN_OUTPUT_DIR}
    GST_REGISTRY_1_0=${PROJECT_BINARY_DIR}/test-registry-${name}.bin
    GST_REGISTRY_FORK=no
    GST_DEBUG_DUMP_DOT_DIR=
    G_DEBUG=fatal-criticals)
  if(WZP_SANITIZE)
    list(APPEND env LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0)
  endif()
  set_tests_properties(${name} PROPERTIES
    LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "${env}")
endfunction()

# wzp_add_fuzzer(<name> SOURCES <files...> [LIBS <targets...>])
#
# A libFuzzer target `fuzz_<name>` exporting LLVMFuzzerTestOneInput. With
# WZP_FUZZ it links libFuzzer and ctest runs it for a short smoke (label
# `fuzz`); without, it links a replay driver that feeds the seed corpus in
# tests/fuzz/corpus/<name>/ plus deterministic random inputs (label `unit`).
function(wzp_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target fuzz_${name})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  # A fuzzer without seeds starts from nothing and the replay driver would
  # have only random bytes: every target brings its corpus.
  if(NOT IS_DIRECTORY ${corpus})
    message(FATAL_ERROR "fuzz target ${name} has no seed corpus in tests/fuzz/corpus/${name}")
  endif()
  if(WZP_FUZZ)
    add_executable(${target} ${ARG_SOURCES})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    # New inputs go to a working corpus in the build tree, never into the
    # checked-in seeds.
    set(work ${CMAKE_CURRENT_BINARY_DIR}/corpus-${name})
    file(MAKE_DIRECTORY ${work})
    add_test(NAME ${target} COMMAND ${target} -max_total_time=${WZP_FUZZ_SECONDS}
      -rss_limit_mb=1024 -timeout=5 ${work} ${corpus})
    set_tests_properties(${target} PROPERTIES LABELS fuzz TIMEOUT 600)
  else()
    add_executable(${target} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_driver.cpp)
    add_test(NAME ${target} COMMAND ${target} ${corpus})
    set_tests_properties(${target} PROPERTIES LABELS unit TIMEOUT 300)
  endif()
  wzp_target_warnings(${target})
  target_link_libraries(${target} PRIVATE wzp ${ARG_LIBS})
endfunction()
