#include "codegen/regalloc/parallel_move.h"

#include <algorithm>

namespace kiln::regalloc {
namespace {

// Dense key of a location: registers 0..63, stack slots from 64.
inline uint32_t Key(isa::Allocation a) {
  return a.is_reg() ? static_cast<uint32_t>(a.reg().index()) : 64 + a.slot();
}

}  // namespace

// Linear-time sequentialization. The moves form a functional graph (each
// destination written once); a move is ready when no pending move still
// reads its destination. Emitting a move may make the move writing its
// source ready. When nothing is ready, the remaining moves contain cycles:
// the destination of one pending move is saved in the scratch register and
// its readers are redirected there, which unlocks the whole component.
void SequentializeMoves(std::vector<Move>& moves, const isa::PReg scratch[2],
                        std::vector<Move>* out) {
  size_t n = 0;
  for (const Move& m : moves) {
    if (m.from != m.to) moves[n++] = m;
  }
  moves.resize(n);
  if (n == 0) return;
  if (n == 1) {
    out->push_back(moves[0]);
    moves.clear();
    return;
  }
  uint32_t max_key = 0;
  for (const Move& m : moves) max_key = std::max({max_key, Key(m.from), Key(m.to)});
  const uint32_t nk = max_key + 1;
  std::vector<uint32_t> readers(nk, 0);         // pending moves reading a location
  std::vector<int32_t> writer(nk, -1);          // pending move writing a location
  std::vector<int32_t> first_reader(nk, -1);    // reader lists (linked by next_reader)
  std::vector<int32_t> next_reader(n, -1);
  std::vector<uint8_t> done(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t f = Key(moves[i].from), t = Key(moves[i].to);
    ++readers[f];
    writer[t] = static_cast<int32_t>(i);
    next_reader[i] = first_reader[f];
    first_reader[f] = static_cast<int32_t>(i);
  }
  std::vector<int32_t> ready;
  for (size_t i = 0; i < n; ++i) {
    if (readers[Key(moves[i].to)] == 0) ready.push_back(static_cast<int32_t>(i));
  }
  size_t emitted = 0, cursor = 0;
  const uint32_t kScratchFrom = ~0u;
  std::vector<uint8_t> reads_scratch(n, 0);
  while (emitted < n) {
    while (!ready.empty()) {
      const int32_t i = ready.back();
      ready.pop_back();
      if (done[i]) continue;
      done[i] = 1;
      ++emitted;
      out->push_back(moves[i]);
      if (reads_scratch[i]) continue;
      const uint32_t f = Key(moves[i].from);
      if (--readers[f] == 0 && writer[f] >= 0 && !done[writer[f]]) ready.push_back(writer[f]);
    }
    if (emitted == n) break;
    // Stuck: every pending destination is still read. Break a cycle.
    while (done[cursor]) ++cursor;
    const Move& m = moves[cursor];
    const uint32_t d = Key(m.to);
    const isa::Allocation tmp = isa::Allocation::Reg(scratch[static_cast<int>(m.cls)]);
    out->push_back(Move{m.to, tmp, m.cls});
    for (int32_t r = first_reader[d]; r >= 0; r = next_reader[r]) {
      if (done[r]) continue;
      moves[r].from = tmp;
      reads_scratch[r] = 1;
    }
    first_reader[d] = -1;
    readers[d] = 0;
    (void)kScratchFrom;
    ready.push_back(static_cast<int32_t>(cursor));
  }
  moves.clear();
}

}  // namespace kiln::regalloc
