// The example server (server.h): serves until SIGINT / SIGTERM.
//
//   bazel run -c opt //examples/server -- --port=8080 --threads=2
//       [--handler=wasm|native] [--guest=path.wasm]
//       [--backend_delay_us=100] [--epoch_tick_us=1000]
//
// scripts/serve.sh builds and starts it on 127.0.0.1.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "examples/server/server.h"

namespace {

bool Flag(std::string_view arg, std::string_view name, std::string* value) {
  const std::string prefix = "--" + std::string(name) + "=";
  if (arg.substr(0, prefix.size()) != prefix) return false;
  *value = std::string(arg.substr(prefix.size()));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex lock and
  // destruction also updates a process-wide deadlock graph under one global
  // lock: per request (fiber stack pool, futures) that was a lock shared by
  // the worker threads. A release build of Abseil does not do it either.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  kiln::server::ServerOptions options;
  options.guest_path = "examples/server/guest.wasm";  // bazel run's runfiles
  for (int i = 1; i < argc; ++i) {
    std::string v;
    const std::string_view arg = argv[i];
    if (Flag(arg, "host", &v)) {
      options.host = v;
    } else if (Flag(arg, "port", &v)) {
      options.port = static_cast<uint16_t>(std::atoi(v.c_str()));
    } else if (Flag(arg, "threads", &v)) {
      options.threads = std::atoi(v.c_str());
    } else if (Flag(arg, "handler", &v) && (v == "wasm" || v == "native")) {
      options.native = v == "native";
    } else if (Flag(arg, "guest", &v)) {
      options.guest_path = v;
    } else if (Flag(arg, "backend_delay_us", &v)) {
      options.backend_delay_us = std::atoi(v.c_str());
    } else if (Flag(arg, "epoch_tick_us", &v)) {
      options.epoch_tick_us = std::atoi(v.c_str());
    } else if (Flag(arg, "max_instances", &v)) {
      options.max_instances = static_cast<uint32_t>(std::atoi(v.c_str()));
    } else {
      std::fprintf(stderr, "server: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  // The worker threads inherit the blocked signals; this thread waits.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = kiln::server::Server::Create(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  (*server)->Start();
  std::printf("serving the %s handler on http://%s:%u/ with %d threads\n",
              options.native ? "native" : "wasm", options.host.c_str(),
              (*server)->port(), options.threads);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->Stop();
  return 0;
}
