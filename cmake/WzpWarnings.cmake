# Warnings as errors for our own code; third-party headers come in as SYSTEM.
function(wzp_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wshadow=local -Wnon-virtual-dtor
    $<$<COMPILE_LANGUAGE:CXX>:-Wno-missing-field-initializers>)
endfunction()
