// Host errno -> WASI errno.
#include "wasi/errno.h"

#include <cerrno>

namespace kiln::wasi {

Errno FromHostErrno(int e) {
  switch (e) {
    case 0: return Errno::kSuccess;
    case E2BIG: return Errno::k2big;
    case EACCES: return Errno::kAcces;
    case EADDRINUSE: return Errno::kAddrinuse;
    case EADDRNOTAVAIL: return Errno::kAddrnotavail;
    case EAFNOSUPPORT: return Errno::kAfnosupport;
    case EAGAIN: return Errno::kAgain;
    case EALREADY: return Errno::kAlready;
    case EBADF: return Errno::kBadf;
    case EBADMSG: return Errno::kBadmsg;
    case EBUSY: return Errno::kBusy;
    case ECANCELED: return Errno::kCanceled;
    case ECHILD: return Errno::kChild;
    case ECONNABORTED: return Errno::kConnaborted;
    case ECONNREFUSED: return Errno::kConnrefused;
    case ECONNRESET: return Errno::kConnreset;
    case EDEADLK: return Errno::kDeadlk;
    case EDESTADDRREQ: return Errno::kDestaddrreq;
    case EDOM: return Errno::kDom;
    case EDQUOT: return Errno::kDquot;
    case EEXIST: return Errno::kExist;
    case EFAULT: return Errno::kFault;
    case EFBIG: return Errno::kFbig;
    case EHOSTUNREACH: return Errno::kHostunreach;
    case EIDRM: return Errno::kIdrm;
    case EILSEQ: return Errno::kIlseq;
    case EINPROGRESS: return Errno::kInprogress;
    case EINTR: return Errno::kIntr;
    case EINVAL: return Errno::kInval;
    case EIO: return Errno::kIo;
    case EISCONN: return Errno::kIsconn;
    case EISDIR: return Errno::kIsdir;
    case ELOOP: return Errno::kLoop;
    case EMFILE: return Errno::kMfile;
    case EMLINK: return Errno::kMlink;
    case EMSGSIZE: return Errno::kMsgsize;
    case EMULTIHOP: return Errno::kMultihop;
    case ENAMETOOLONG: return Errno::kNametoolong;
    case ENETDOWN: return Errno::kNetdown;
    case ENETRESET: return Errno::kNetreset;
    case ENETUNREACH: return Errno::kNetunreach;
    case ENFILE: return Errno::kNfile;
    case ENOBUFS: return Errno::kNobufs;
    case ENODEV: return Errno::kNodev;
    case ENOENT: return Errno::kNoent;
    case ENOEXEC: return Errno::kNoexec;
    case ENOLCK: return Errno::kNolck;
    case ENOLINK: return Errno::kNolink;
    case ENOMEM: return Errno::kNomem;
    case ENOMSG: return Errno::kNomsg;
    case ENOPROTOOPT: return Errno::kNoprotoopt;
    case ENOSPC: return Errno::kNospc;
    case ENOSYS: return Errno::kNosys;
    case ENOTCONN: return Errno::kNotconn;
    case ENOTDIR: return Errno::kNotdir;
    case ENOTEMPTY: return Errno::kNotempty;
    case ENOTRECOVERABLE: return Errno::kNotrecoverable;
    case ENOTSOCK: return Errno::kNotsock;
    case ENOTSUP: return Errno::kNotsup;
    case ENOTTY: return Errno::kNotty;
    case ENXIO: return Errno::kNxio;
    case EOVERFLOW: return Errno::kOverflow;
    case EOWNERDEAD: return Errno::kOwnerdead;
    case EPERM: return Errno::kPerm;
    case EPIPE: return Errno::kPipe;
    case EPROTO: return Errno::kProto;
    case EPROTONOSUPPORT: return Errno::kProtonosupport;
    case EPROTOTYPE: return Errno::kPrototype;
    case ERANGE: return Errno::kRange;
    case EROFS: return Errno::kRofs;
    case ESPIPE: return Errno::kSpipe;
    case ESRCH: return Errno::kSrch;
    case ESTALE: return Errno::kStale;
    case ETIMEDOUT: return Errno::kTimedout;
    case ETXTBSY: return Errno::kTxtbsy;
    case EXDEV: return Errno::kXdev;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return Errno::kAgain;
#endif
    default: return Errno::kIo;
  }
}

Errno LastHostErrno() { return FromHostErrno(errno); }

const char* ErrnoName(Errno e) {
  static constexpr const char* kNames[] = {
      "ESUCCESS",
      "E2BIG",
      "EACCES",
      "EADDRINUSE",
      "EADDRNOTAVAIL",
      "EAFNOSUPPORT",
      "EAGAIN",
      "EALREADY",
      "EBADF",
      "EBADMSG",
      "EBUSY",
      "ECANCELED",
      "ECHILD",
      "ECONNABORTED",
      "ECONNREFUSED",
      "ECONNRESET",
      "EDEADLK",
      "EDESTADDRREQ",
      "EDOM",
      "EDQUOT",
      "EEXIST",
      "EFAULT",
      "EFBIG",
      "EHOSTUNREACH",
      "EIDRM",
      "EILSEQ",
      "EINPROGRESS",
      "EINTR",
      "EINVAL",
      "EIO",
      "EISCONN",
      "EISDIR",
      "ELOOP",
      "EMFILE",
      "EMLINK",
      "EMSGSIZE",
      "EMULTIHOP",
      "ENAMETOOLONG",
      "ENETDOWN",
      "ENETRESET",
      "ENETUNREACH",
      "ENFILE",
      "ENOBUFS",
      "ENODEV",
      "ENOENT",
      "ENOEXEC",
      "ENOLCK",
      "ENOLINK",
      "ENOMEM",
      "ENOMSG",
      "ENOPROTOOPT",
      "ENOSPC",
      "ENOSYS",
      "ENOTCONN",
      "ENOTDIR",
      "ENOTEMPTY",
      "ENOTRECOVERABLE",
      "ENOTSOCK",
      "ENOTSUP",
      "ENOTTY",
      "ENXIO",
      "EOVERFLOW",
      "EOWNERDEAD",
      "EPERM",
      "EPIPE",
      "EPROTO",
      "EPROTONOSUPPORT",
      "EPROTOTYPE",
      "ERANGE",
      "EROFS",
      "ESPIPE",
      "ESRCH",
      "ESTALE",
      "ETIMEDOUT",
      "ETXTBSY",
      "EXDEV",
      "ENOTCAPABLE",
  };
  const auto i = static_cast<uint16_t>(e);
  return i < sizeof(kNames) / sizeof(kNames[0]) ? kNames[i] : "E?";
}

}  // namespace kiln::wasi
