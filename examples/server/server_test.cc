// The server end to end on loopback (a bounded number of requests, every
// read with a timeout): the wasm and the native handler answer the same
// bytes; keep-alive; and while a CPU-heavy guest request runs, another
// request on the same (only) server thread is answered (epoch yielding).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "examples/server/native_handler.h"
#include "examples/server/server.h"
#include "gtest/gtest.h"

namespace kiln::server {
namespace {

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{20, 0};  // no read waits forever
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& path) {
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_EQ(write(fd_, req.data(), req.size()),
              static_cast<ssize_t>(req.size()));
  }
  // One response: status line + headers + Content-Length bytes of body.
  // Returns the body ("" and a failure on a timeout or a bad response).
  std::string Receive(int* status = nullptr) {
    std::string data;
    char buf[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) {
        ADD_FAILURE() << "no response header";
        return "";
      }
      data.append(buf, n);
    }
    const size_t cl = data.find("Content-Length: ");
    if (cl == std::string::npos || cl > header_end) {
      ADD_FAILURE() << data;
      return "";
    }
    const size_t length = std::stoul(data.substr(cl + 16));
    while (data.size() < header_end + 4 + length) {
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) {
        ADD_FAILURE() << "short body";
        return "";
      }
      data.append(buf, n);
    }
    if (status != nullptr) *status = std::stoi(data.substr(9, 3));
    return data.substr(header_end + 4, length);
  }
  std::string Get(const std::string& path, int* status = nullptr) {
    Send(path);
    return Receive(status);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::unique_ptr<Server> StartServer(bool native) {
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  o.native = native;
  o.guest_path = "examples/server/guest.wasm";
  o.max_instances = 16;
  o.backend_delay_us = 200;
  auto s = Server::Create(o);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return nullptr;
  (*s)->Start();
  return *std::move(s);
}

TEST(ServerTest, WasmAndNativeHandlersAnswerTheSame) {
  std::unique_ptr<Server> wasm = StartServer(false);
  std::unique_ptr<Server> native = StartServer(true);
  ASSERT_TRUE(wasm && native);
  Client w(wasm->port()), n(native->port());
  ASSERT_TRUE(w.connected() && n.connected());
  for (const std::string path : {"/", "/a", "/users/42?x=1", "/heavy?n=1000"}) {
    int ws = 0, ns = 0;
    const std::string wb = w.Get(path, &ws);
    const std::string nb = n.Get(path, &ns);
    EXPECT_EQ(ws, 200) << path;
    EXPECT_EQ(ns, 200) << path;
    EXPECT_EQ(wb, nb) << path;
  }
  const uint32_t key = PathKey("/a");
  EXPECT_EQ(w.Get("/a"),
            BackendBody("/a", key, BackendValue(static_cast<int32_t>(key))));
  EXPECT_TRUE(absl::StartsWith(w.Get("/heavy?n=5"), "heavy rounds=5 result="));
}

TEST(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  std::unique_ptr<Server> wasm = StartServer(false);
  ASSERT_TRUE(wasm);
  Client c(wasm->port());
  ASSERT_TRUE(c.connected());
  // More requests than the pool has slots: each instance goes back.
  for (int i = 0; i < 50; ++i) {
    const std::string path = "/k" + std::to_string(i);
    EXPECT_TRUE(absl::StartsWith(c.Get(path),
                                 "hello from kiln: path=" + path + " key="))
        << i;
  }
}

TEST(ServerTest, AHeavyGuestRequestDoesNotBlockItsThread) {
  std::unique_ptr<Server> wasm = StartServer(false);  // one thread
  ASSERT_TRUE(wasm);
  Client heavy(wasm->port()), light(wasm->port());
  ASSERT_TRUE(heavy.connected() && light.connected());
  // Enough rounds for a few hundred milliseconds at least.
  heavy.Send("/heavy?n=60000000");
  const auto start = std::chrono::steady_clock::now();
  // While the guest computes, the thread still answers (it yields at each
  // epoch tick).
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(absl::StartsWith(light.Get("/light"), "hello from kiln"));
  }
  const auto light_done = std::chrono::steady_clock::now();
  const std::string body = heavy.Receive();
  const auto heavy_done = std::chrono::steady_clock::now();
  EXPECT_TRUE(absl::StartsWith(body, "heavy rounds=60000000 result="))
      << body;
  // The light requests finished first, well before the heavy one.
  EXPECT_LT(light_done - start, heavy_done - start);
  EXPECT_EQ(*HeavyBody("/heavy?n=60000000"), body);
}

}  // namespace
}  // namespace kiln::server
