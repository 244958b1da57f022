// wasi_snapshot_preview1 constants and struct layouts (from the witx
// definitions; the same values as wasi-libc's <wasi/api.h>).
#ifndef KILN_WASI_TYPES_H_
#define KILN_WASI_TYPES_H_

#include <cstdint>

namespace kiln::wasi {

using Rights = uint64_t;

namespace rights {
inline constexpr Rights kFdDatasync = 1ull << 0;
inline constexpr Rights kFdRead = 1ull << 1;
inline constexpr Rights kFdSeek = 1ull << 2;
inline constexpr Rights kFdFdstatSetFlags = 1ull << 3;
inline constexpr Rights kFdSync = 1ull << 4;
inline constexpr Rights kFdTell = 1ull << 5;
inline constexpr Rights kFdWrite = 1ull << 6;
inline constexpr Rights kFdAdvise = 1ull << 7;
inline constexpr Rights kFdAllocate = 1ull << 8;
inline constexpr Rights kPathCreateDirectory = 1ull << 9;
inline constexpr Rights kPathCreateFile = 1ull << 10;
inline constexpr Rights kPathLinkSource = 1ull << 11;
inline constexpr Rights kPathLinkTarget = 1ull << 12;
inline constexpr Rights kPathOpen = 1ull << 13;
inline constexpr Rights kFdReaddir = 1ull << 14;
inline constexpr Rights kPathReadlink = 1ull << 15;
inline constexpr Rights kPathRenameSource = 1ull << 16;
inline constexpr Rights kPathRenameTarget = 1ull << 17;
inline constexpr Rights kPathFilestatGet = 1ull << 18;
inline constexpr Rights kPathFilestatSetSize = 1ull << 19;
inline constexpr Rights kPathFilestatSetTimes = 1ull << 20;
inline constexpr Rights kFdFilestatGet = 1ull << 21;
inline constexpr Rights kFdFilestatSetSize = 1ull << 22;
inline constexpr Rights kFdFilestatSetTimes = 1ull << 23;
inline constexpr Rights kPathSymlink = 1ull << 24;
inline constexpr Rights kPathRemoveDirectory = 1ull << 25;
inline constexpr Rights kPathUnlinkFile = 1ull << 26;
inline constexpr Rights kPollFdReadwrite = 1ull << 27;
inline constexpr Rights kSockShutdown = 1ull << 28;
inline constexpr Rights kSockAccept = 1ull << 29;
inline constexpr Rights kAll = (1ull << 30) - 1;

// What a regular file, a directory and a tty may do.
inline constexpr Rights kRegularFileBase =
    kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell |
    kFdWrite | kFdAdvise | kFdAllocate | kFdFilestatGet | kFdFilestatSetSize |
    kFdFilestatSetTimes | kPollFdReadwrite;
inline constexpr Rights kDirectoryBase =
    kFdFdstatSetFlags | kFdSync | kFdAdvise | kPathCreateDirectory |
    kPathCreateFile | kPathLinkSource | kPathLinkTarget | kPathOpen |
    kFdReaddir | kPathReadlink | kPathRenameSource | kPathRenameTarget |
    kPathFilestatGet | kPathFilestatSetSize | kPathFilestatSetTimes |
    kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink |
    kPathRemoveDirectory | kPathUnlinkFile | kPollFdReadwrite;
inline constexpr Rights kDirectoryInheriting = kDirectoryBase | kRegularFileBase;
inline constexpr Rights kTtyBase = kRegularFileBase & ~(kFdSeek | kFdTell);
}  // namespace rights

enum class Filetype : uint8_t {
  kUnknown = 0, kBlockDevice = 1, kCharacterDevice = 2, kDirectory = 3,
  kRegularFile = 4, kSocketDgram = 5, kSocketStream = 6, kSymbolicLink = 7,
};

inline constexpr uint32_t kClockRealtime = 0;
inline constexpr uint32_t kClockMonotonic = 1;
inline constexpr uint32_t kClockProcessCputime = 2;
inline constexpr uint32_t kClockThreadCputime = 3;

inline constexpr uint8_t kWhenceSet = 0;
inline constexpr uint8_t kWhenceCur = 1;
inline constexpr uint8_t kWhenceEnd = 2;

inline constexpr uint16_t kFdflagAppend = 1 << 0;
inline constexpr uint16_t kFdflagDsync = 1 << 1;
inline constexpr uint16_t kFdflagNonblock = 1 << 2;
inline constexpr uint16_t kFdflagRsync = 1 << 3;
inline constexpr uint16_t kFdflagSync = 1 << 4;

inline constexpr uint16_t kFstflagAtim = 1 << 0;
inline constexpr uint16_t kFstflagAtimNow = 1 << 1;
inline constexpr uint16_t kFstflagMtim = 1 << 2;
inline constexpr uint16_t kFstflagMtimNow = 1 << 3;

inline constexpr uint32_t kLookupSymlinkFollow = 1 << 0;

inline constexpr uint16_t kOflagCreat = 1 << 0;
inline constexpr uint16_t kOflagDirectory = 1 << 1;
inline constexpr uint16_t kOflagExcl = 1 << 2;
inline constexpr uint16_t kOflagTrunc = 1 << 3;

inline constexpr uint8_t kEventClock = 0;
inline constexpr uint8_t kEventFdRead = 1;
inline constexpr uint8_t kEventFdWrite = 2;
inline constexpr uint16_t kEventRwHangup = 1 << 0;
inline constexpr uint16_t kSubclockAbstime = 1 << 0;

inline constexpr uint8_t kPreopentypeDir = 0;

// Sizes and offsets of the structs the guest passes by pointer.
// iovec/ciovec {buf, buf_len} and prestat {u8 tag, size_t pr_name_len}
// are two pointer-sized fields (GuestMemory::ptr_size(): 4, or 8 for a
// memory64 guest): 8 or 16 bytes, the second field at 4 or 8.
inline constexpr uint32_t kFdstatSize = 24;        // filetype @0, flags @2,
                                                   // base @8, inheriting @16
inline constexpr uint32_t kFilestatSize = 64;      // dev @0 ino @8 type @16
                                                   // nlink @24 size @32
                                                   // atim @40 mtim @48 ctim @56
inline constexpr uint32_t kDirentSize = 24;        // next @0 ino @8
                                                   // namlen @16 type @20
inline constexpr uint32_t kSubscriptionSize = 48;  // userdata @0 tag @8
                                                   // clock: id @16 timeout @24
                                                   // precision @32 flags @40
                                                   // fd_rw: fd @16
inline constexpr uint32_t kEventSize = 32;         // userdata @0 error @8
                                                   // type @10 nbytes @16
                                                   // flags @24

}  // namespace kiln::wasi

#endif  // KILN_WASI_TYPES_H_
