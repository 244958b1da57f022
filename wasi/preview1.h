// Every function of wasi_snapshot_preview1 as plain C++ over a WasiCtx and
// a GuestMemory view. Arguments are the raw wasm values (pointers and
// lengths are guest offsets, checked against `mem` before any use, for a
// 32-bit guest or a memory64 one alike: see preview1.def); the
// result is the WASI errno the guest receives. Nothing here can make the
// host crash on guest input: a bad pointer is kFault, a bad enum value
// kInval, an unknown fd kBadf, a missing right kNotcapable.
#ifndef KILN_WASI_PREVIEW1_H_
#define KILN_WASI_PREVIEW1_H_

#include <cstdint>
#include <string_view>

#include "absl/types/span.h"
#include "wasi/errno.h"
#include "wasi/guest_memory.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi::preview1 {

using M = const GuestMemory&;
using u32 = uint32_t;
using u64 = uint64_t;
// A guest pointer and a guest size_t: u64 for both pointer widths (a
// 32-bit guest's are zero-extended i32s); GuestMemory::abi() says how
// wide the pointer and size_t fields inside structs are.
using Ptr = uint64_t;
using Size = uint64_t;

Errno ArgsGet(WasiCtx& ctx, M mem, Ptr argv, Ptr argv_buf);
Errno ArgsSizesGet(WasiCtx& ctx, M mem, Ptr argc_out, Ptr buf_size_out);
Errno EnvironGet(WasiCtx& ctx, M mem, Ptr environ, Ptr environ_buf);
Errno EnvironSizesGet(WasiCtx& ctx, M mem, Ptr count_out, Ptr buf_size_out);
Errno ClockResGet(WasiCtx& ctx, M mem, u32 clock_id, Ptr res_out);
Errno ClockTimeGet(WasiCtx& ctx, M mem, u32 clock_id, u64 precision,
                   Ptr time_out);
Errno FdAdvise(WasiCtx& ctx, M mem, u32 fd, u64 offset, u64 len, u32 advice);
Errno FdAllocate(WasiCtx& ctx, M mem, u32 fd, u64 offset, u64 len);
Errno FdClose(WasiCtx& ctx, M mem, u32 fd);
Errno FdDatasync(WasiCtx& ctx, M mem, u32 fd);
Errno FdFdstatGet(WasiCtx& ctx, M mem, u32 fd, Ptr stat_out);
Errno FdFdstatSetFlags(WasiCtx& ctx, M mem, u32 fd, u32 flags);
Errno FdFdstatSetRights(WasiCtx& ctx, M mem, u32 fd, u64 base,
                        u64 inheriting);
Errno FdFilestatGet(WasiCtx& ctx, M mem, u32 fd, Ptr stat_out);
Errno FdFilestatSetSize(WasiCtx& ctx, M mem, u32 fd, u64 size);
Errno FdFilestatSetTimes(WasiCtx& ctx, M mem, u32 fd, u64 atim, u64 mtim,
                         u32 fst_flags);
Errno FdPread(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
              u64 offset, Ptr nread_out);
Errno FdPrestatGet(WasiCtx& ctx, M mem, u32 fd, Ptr prestat_out);
Errno FdPrestatDirName(WasiCtx& ctx, M mem, u32 fd, Ptr path, Size path_len);
Errno FdPwrite(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
               u64 offset, Ptr nwritten_out);
Errno FdRead(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
             Ptr nread_out);
Errno FdReaddir(WasiCtx& ctx, M mem, u32 fd, Ptr buf, Size buf_len,
                u64 cookie, Ptr bufused_out);
Errno FdRenumber(WasiCtx& ctx, M mem, u32 fd, u32 to);
Errno FdSeek(WasiCtx& ctx, M mem, u32 fd, u64 offset, u32 whence,
             Ptr newoffset_out);
Errno FdSync(WasiCtx& ctx, M mem, u32 fd);
Errno FdTell(WasiCtx& ctx, M mem, u32 fd, Ptr offset_out);
Errno FdWrite(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
              Ptr nwritten_out);
Errno PathCreateDirectory(WasiCtx& ctx, M mem, u32 fd, Ptr path,
                          Size path_len);
Errno PathFilestatGet(WasiCtx& ctx, M mem, u32 fd, u32 flags, Ptr path,
                      Size path_len, Ptr stat_out);
Errno PathFilestatSetTimes(WasiCtx& ctx, M mem, u32 fd, u32 flags, Ptr path,
                           Size path_len, u64 atim, u64 mtim, u32 fst_flags);
Errno PathLink(WasiCtx& ctx, M mem, u32 old_fd, u32 old_flags, Ptr old_path,
               Size old_path_len, u32 new_fd, Ptr new_path, Size new_path_len);
Errno PathOpen(WasiCtx& ctx, M mem, u32 dirfd, u32 dirflags, Ptr path,
               Size path_len, u32 oflags, u64 rights_base,
               u64 rights_inheriting, u32 fdflags, Ptr fd_out);
Errno PathReadlink(WasiCtx& ctx, M mem, u32 fd, Ptr path, Size path_len,
                   Ptr buf, Size buf_len, Ptr bufused_out);
Errno PathRemoveDirectory(WasiCtx& ctx, M mem, u32 fd, Ptr path,
                          Size path_len);
Errno PathRename(WasiCtx& ctx, M mem, u32 fd, Ptr old_path, Size old_path_len,
                 u32 new_fd, Ptr new_path, Size new_path_len);
Errno PathSymlink(WasiCtx& ctx, M mem, Ptr old_path, Size old_path_len,
                  u32 fd, Ptr new_path, Size new_path_len);
Errno PathUnlinkFile(WasiCtx& ctx, M mem, u32 fd, Ptr path, Size path_len);
Errno PollOneoff(WasiCtx& ctx, M mem, Ptr in, Ptr out, Size nsubscriptions,
                 Ptr nevents_out);
// Records the exit code; the binding then ends the call with a trap (see
// wasi/host.h). Never returns an error.
void ProcExit(WasiCtx& ctx, M mem, u32 code);
Errno ProcRaise(WasiCtx& ctx, M mem, u32 sig);
Errno SchedYield(WasiCtx& ctx, M mem);
Errno RandomGet(WasiCtx& ctx, M mem, Ptr buf, Size buf_len);
Errno SockAccept(WasiCtx& ctx, M mem, u32 fd, u32 flags, Ptr fd_out);
Errno SockRecv(WasiCtx& ctx, M mem, u32 fd, Ptr ri_data, Size ri_data_len,
               u32 ri_flags, Ptr ro_datalen_out, Ptr ro_flags_out);
Errno SockSend(WasiCtx& ctx, M mem, u32 fd, Ptr si_data, Size si_data_len,
               u32 si_flags, Ptr so_datalen_out);
Errno SockShutdown(WasiCtx& ctx, M mem, u32 fd, u32 how);

// The import table (rows from preview1.def): each function's name, wasm
// parameters and a thunk that takes the raw arguments (i32 zero-extended,
// i64 as is). `params` has one letter per parameter: 'p' a pointer or
// size_t (i32, or i64 for Abi::kWasm64), 'i' an i32, 'I' an i64; every
// function returns an i32 errno except proc_exit (no results).
struct Function {
  std::string_view name;
  std::string_view params;
  bool has_result;
  uint32_t (*call)(WasiCtx& ctx, M mem, const uint64_t* args);
};
absl::Span<const Function> Functions();
// The entry for `name`, or nullptr.
const Function* FindFunction(std::string_view name);

inline constexpr std::string_view kModuleName = "wasi_snapshot_preview1";

}  // namespace kiln::wasi::preview1

#endif  // KILN_WASI_PREVIEW1_H_
