# Warnings as errors for our own code; third-party headers come in as SYSTEM.
function(wzp_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wnon-virtual-dtor
    $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
    $<$<COMPILE_LANGUAGE:CXX>:-Wno-missing-field-initializers>
    # GCC 12 warns falsely inside std::regex and std::optional under ASan.
    $<$<AND:$<BOOL:${WZP_SANITIZE}>,$<CXX_COMPILER_ID:GNU>>:-Wno-maybe-uninitialized>)
endfunction()
