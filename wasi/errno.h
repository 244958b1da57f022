// WASI preview1 errno values (wasi_snapshot_preview1.witx `errno`) and the
// mapping from host (Linux) errno values.
#ifndef KILN_WASI_ERRNO_H_
#define KILN_WASI_ERRNO_H_

#include <cstdint>

namespace kiln::wasi {

// Values exactly as in the witx enum (u16), in order.
enum class Errno : uint16_t {
  kSuccess = 0, k2big, kAcces, kAddrinuse, kAddrnotavail, kAfnosupport,
  kAgain, kAlready, kBadf, kBadmsg, kBusy, kCanceled, kChild, kConnaborted,
  kConnrefused, kConnreset, kDeadlk, kDestaddrreq, kDom, kDquot, kExist,
  kFault, kFbig, kHostunreach, kIdrm, kIlseq, kInprogress, kIntr, kInval,
  kIo, kIsconn, kIsdir, kLoop, kMfile, kMlink, kMsgsize, kMultihop,
  kNametoolong, kNetdown, kNetreset, kNetunreach, kNfile, kNobufs, kNodev,
  kNoent, kNoexec, kNolck, kNolink, kNomem, kNomsg, kNoprotoopt, kNospc,
  kNosys, kNotconn, kNotdir, kNotempty, kNotrecoverable, kNotsock, kNotsup,
  kNotty, kNxio, kOverflow, kOwnerdead, kPerm, kPipe, kProto,
  kProtonosupport, kPrototype, kRange, kRofs, kSpipe, kSrch, kStale,
  kTimedout, kTxtbsy, kXdev, kNotcapable,
};

// The WASI errno for a host errno value (unknown values become kIo).
Errno FromHostErrno(int host_errno);

// The WASI errno for the current host `errno`.
Errno LastHostErrno();

// "EBADF"-style name, for messages and tests.
const char* ErrnoName(Errno e);

}  // namespace kiln::wasi

#endif  // KILN_WASI_ERRNO_H_
