// The build's version: CMake project()'s, plus `git describe` when the tree
// was configured from a git checkout. --version and the signal hello show it.
#pragma once

namespace wzp::base {

const char *version();

}  // namespace wzp::base
