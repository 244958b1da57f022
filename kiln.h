// Kiln: the one header an embedder includes (target //:kiln).
#ifndef KILN_KILN_H_
#define KILN_KILN_H_

#include "engine/kiln.h"  // IWYU pragma: export
#include "linker/linker.h"  // IWYU pragma: export

#endif  // KILN_KILN_H_
