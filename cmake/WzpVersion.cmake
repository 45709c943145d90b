# WZP_VERSION: project()'s version, plus `git describe` when configured from
# a git checkout (e.g. 0.1.0 (8522cbf-dirty)), so a report names its build.
set(WZP_VERSION ${PROJECT_VERSION})
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --tags
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE git_describe OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE git_result ERROR_QUIET)
  if(git_result EQUAL 0 AND git_describe)
    set(WZP_VERSION "${PROJECT_VERSION} (${git_describe})")
  endif()
endif()
message(STATUS "wzp version: ${WZP_VERSION}")
