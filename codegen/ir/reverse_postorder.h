// Blocks reachable from the entry in reverse postorder: the
// definitions-before-uses order passes iterate in. ir::DominatorTree uses it
// over a ControlFlowGraph; the inliner over the terminators' block calls,
// where it needs only this order and not the tree.
#ifndef KILN_CODEGEN_IR_REVERSE_POSTORDER_H_
#define KILN_CODEGEN_IR_REVERSE_POSTORDER_H_

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "codegen/ir/function.h"

namespace kiln::ir {

// Successors of b are successor(b, k) for k < num_successors(b), visited in
// that order. An iterative DFS: wasm functions can nest too deeply for
// recursion.
template <typename NumSuccessors, typename Successor>
std::vector<Block> ReversePostorder(const Function& f,
                                    NumSuccessors num_successors,
                                    Successor successor) {
  std::vector<Block> post;
  const Block entry = f.entry_block();
  if (!entry.valid()) return post;
  std::vector<uint8_t> visited(f.num_blocks(), 0);
  std::vector<std::pair<Block, uint32_t>> stack;
  stack.push_back({entry, 0});
  visited[entry.index] = 1;
  while (!stack.empty()) {
    auto& [b, next] = stack.back();
    if (next < num_successors(b)) {
      const Block s = successor(b, next++);
      if (s.valid() && s.index < visited.size() && !visited[s.index]) {
        visited[s.index] = 1;
        stack.push_back({s, 0});
      }
    } else {
      post.push_back(b);
      stack.pop_back();
    }
  }
  std::reverse(post.begin(), post.end());
  return post;
}

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_REVERSE_POSTORDER_H_
