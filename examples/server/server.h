// An HTTP/1.1 server (Boost.Asio) that answers each request with a fresh
// instance of a wasm guest (guest.c): per request a Store, an instance
// from one InstancePre (pooling allocator), one async call of the guest's
// `handle`, whose host import env.backend_get waits on the event loop (an
// asio timer standing for a backend call) with the guest's fiber
// suspended. CPU-heavy guests yield at each epoch tick, so other requests
// on the same thread go on. With `native`, the same handler in C++
// (native_handler.h) answers instead.
//
// Threads: one io_context per thread, each with its own acceptor on the
// port (SO_REUSEPORT: the kernel spreads connections); a connection stays
// on its thread. One Engine, Linker and InstancePre for all of them.
#ifndef KILN_EXAMPLES_SERVER_SERVER_H_
#define KILN_EXAMPLES_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace kiln::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port)
  int threads = 2;
  bool native = false;  // the C++ handler instead of the guest
  std::string guest_path;  // the guest module (.wasm), needed unless native
  // How long the backend takes to answer (both handlers).
  int backend_delay_us = 100;
  // Epoch tick: a running guest yields once per tick.
  int epoch_tick_us = 1000;
  // Pool slots: at most this many requests in flight at once.
  uint32_t max_instances = 1000;
};

class Server {
 public:
  // Compiles the guest, binds the port; serves after Start.
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      const ServerOptions& options);
  ~Server();  // Stop()s

  uint16_t port() const;
  // Starts the worker threads and the epoch ticker (returns at once).
  void Start();
  // Stops accepting, ends the threads (in-flight requests are dropped).
  void Stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::server

#endif  // KILN_EXAMPLES_SERVER_SERVER_H_
