#include "examples/server/server.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "absl/strings/str_cat.h"
#include "engine/kiln.h"
#include "examples/server/native_handler.h"
#include "linker/linker.h"
#include "wasm/module_info.h"

namespace kiln::server {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Paths longer than this get 414 (the guest's request buffer is 4 KiB).
constexpr size_t kMaxPath = 1024;

// What a request's store carries: the connection's timer, on which the
// backend call waits.
struct RequestData {
  asio::steady_timer* timer = nullptr;
  std::chrono::microseconds delay{0};
};

// The value of the exported global `name` when the module alone fixes it
// (defined, immutable, initialised by i32.const: the same in every
// instance), as wasm-ld's exports of data symbols are. Saves three export
// lookups and global reads per request.
std::optional<uint32_t> GuestAddress(const Module& module,
                                     std::string_view name) {
  std::optional<uint32_t> index = module.FindExport(name);
  if (!index) return std::nullopt;
  const wasm::ModuleInfo& info = module.info();
  const wasm::Export& e = info.exports[*index];
  if (e.kind != wasm::ExternKind::kGlobal) return std::nullopt;
  const wasm::Global& g = info.globals[e.index];
  if (g.imported || g.type.mutable_ || g.type.type != ValType::kI32 ||
      g.init.kind != wasm::ConstExpr::Kind::kI32Const) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(g.init.bits);
}

Config EngineConfig(const ServerOptions& options) {
  Config c;
  c.async_support = true;
  c.epoch_interruption = true;
  c.async_stack_size = size_t{512} << 10;
  c.allocation_strategy = InstanceAllocationStrategy::kPooling;
  c.pooling.total_instances = options.max_instances;
  c.pooling.max_memory_size = uint64_t{1} << 20;
  // Reset a slot's memory by memset, not by giving its pages back: the
  // guest touches a few pages per request (stack, request and response
  // buffers), and on this VM each page fault that refills one cost more
  // than zeroing them (measured: ~3 faults and 5x the native handler's CPU
  // per request with madvise). Only the first 20 KiB, though: the guest's
  // 8 KiB stack and its ~8 KiB of data sit there (examples/server/
  // BUILD.bazel), and zeroing the whole 64 KiB page per request was a
  // fifth of the server's CPU (it misses the cache: ~50 slots are in use
  // at once). The rest of the memory stays uncommitted (the pool's
  // lazy_commit), so resetting it costs nothing while no request touches
  // it (given back with madvise, in batches, it cost a system call per ~60
  // requests and a page-table walk per request). memset
  // would clobber a copy-on-write image, so the data segments are copied
  // instead (a few hundred bytes).
  c.memory_init_cow = false;
  c.pooling.linear_memory_keep_resident = 20 << 10;
  c.pooling.max_table_elements = 1000;
  return c;
}

}  // namespace

struct Worker {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
};

struct Server::Impl {
  explicit Impl(const ServerOptions& o)
      : options(o), engine(EngineConfig(o)), linker(engine) {}
  ServerOptions options;
  // Destroyed after the workers (whose connections hold stores).
  Engine engine;
  Linker<RequestData> linker;
  std::optional<InstancePre<RequestData>> pre;
  // The guest's request / status / response addresses when the module
  // fixes them (GuestAddress); else each request reads its instance's.
  std::optional<uint32_t> request_addr, status_addr, response_addr;
  std::vector<std::unique_ptr<Worker>> workers;
  std::thread ticker;
  std::atomic<bool> stopping{false};
  bool started = false;
  uint16_t port = 0;

  void Accept(Worker& w);
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server::Impl& server, Worker& worker, tcp::socket socket)
      : server_(server),
        io_(worker.io),
        socket_(std::move(socket)),
        timer_(worker.io) {}

  void ReadRequest() {
    asio::async_read_until(
        socket_, in_, "\r\n\r\n",
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    size_t n) { self->OnRequest(ec, n); });
  }

 private:
  void OnRequest(const boost::system::error_code& ec, size_t header_bytes) {
    if (ec) return;  // closed (or garbage): drop the connection
    std::string header(asio::buffers_begin(in_.data()),
                       asio::buffers_begin(in_.data()) + header_bytes);
    in_.consume(header_bytes);
    // Request line: METHOD SP target SP version.
    const size_t line_end = header.find("\r\n");
    const std::string_view line(header.data(), line_end);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1) {
      return Respond(400, "bad request line\n", /*close=*/true);
    }
    const std::string_view version = line.substr(sp2 + 1);
    path_ = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    keep_alive_ = version == "HTTP/1.1";
    for (char& c : header) c = static_cast<char>(std::tolower(c));
    if (header.find("\r\nconnection: close") != std::string::npos) {
      keep_alive_ = false;
    } else if (header.find("\r\nconnection: keep-alive") != std::string::npos) {
      keep_alive_ = true;
    }
    const size_t cl = header.find("\r\ncontent-length:");
    if (cl != std::string::npos &&
        std::atoi(header.c_str() + cl + 17) != 0) {
      return Respond(400, "request bodies are not supported\n", true);
    }
    if (path_.size() > kMaxPath) return Respond(414, "path too long\n", true);
    if (server_.options.native) {
      HandleNative();
    } else {
      HandleWasm();
    }
  }

  // --- The C++ handler.
  void HandleNative() {
    if (std::optional<std::string> body = HeavyBody(path_)) {
      return Respond(200, *body, false);
    }
    const uint32_t key = PathKey(path_);
    timer_.expires_after(
        std::chrono::microseconds(server_.options.backend_delay_us));
    timer_.async_wait([self = shared_from_this(),
                       key](const boost::system::error_code&) {
      self->Respond(200,
                    BackendBody(self->path_, key,
                                BackendValue(static_cast<int32_t>(key))),
                    false);
    });
  }

  // --- The guest: a store and an instance per request.
  void HandleWasm() {
    store_.emplace(server_.engine,
                   RequestData{&timer_, std::chrono::microseconds(
                                            server_.options.backend_delay_us)});
    // Yield at every epoch tick (the ticker thread), so a CPU-heavy guest
    // gives the thread back to the other connections.
    store_->EpochDeadlineAsyncYieldAndUpdate(1);
    store_->SetEpochDeadline(1);
    // The guest has no start function: instantiation runs no wasm and
    // never waits, so one Poll finishes it.
    Result<Instance> inst = server_.pre->InstantiateAsync(*store_).Run([] {});
    if (!inst.ok()) return Fail(inst.status().ToString());
    absl::StatusOr<Memory> memory = inst->GetMemory(*store_, "memory");
    absl::StatusOr<TypedFunc<int32_t(int32_t)>> handle =
        inst->GetTypedFunc<int32_t(int32_t)>(*store_, "handle");
    std::optional<uint32_t> request = server_.request_addr;
    status_addr_ = server_.status_addr;
    response_addr_ = server_.response_addr;
    if (!request || !status_addr_ || !response_addr_) {
      request = Address(*inst, "request");
      status_addr_ = Address(*inst, "status");
      response_addr_ = Address(*inst, "response");
    }
    if (!memory.ok() || !handle.ok() || !request || !status_addr_ ||
        !response_addr_) {
      return Fail("the guest lacks an export (memory, handle, request, "
                  "status, response)");
    }
    memory_ = *memory;
    // Write, not data() + memcpy: data() commits the whole memory (a
    // pointer may go to a system call), and the pool then has to reset
    // pages the guest never touched (PoolingAllocationConfig::lazy_commit).
    if (!memory_
             ->Write(*store_, *request,
                     absl::Span<const uint8_t>(
                         reinterpret_cast<const uint8_t*>(path_.data()),
                         path_.size()))
             .ok()) {
      return Fail("guest memory too small");
    }
    call_.emplace(
        handle->CallAsync(*store_, static_cast<int32_t>(path_.size())));
    // Poll again from the event loop when the backend answered or the
    // guest yielded (the waker of a yield runs inside Poll).
    call_->SetWaker([self = shared_from_this()] {
      asio::post(self->io_, [self] { self->DriveWasm(); });
    });
    DriveWasm();
  }

  std::optional<uint32_t> Address(const Instance& inst, std::string_view name) {
    absl::StatusOr<Global> g = inst.GetGlobal(*store_, name);
    if (!g.ok()) return std::nullopt;
    absl::StatusOr<Val> v = g->Get(*store_);
    if (!v.ok() || v->type() != ValType::kI32) return std::nullopt;
    return static_cast<uint32_t>(v->i32());
  }

  void DriveWasm() {
    if (!call_.has_value()) return;
    // Each Poll gets a fresh tick: time spent waiting (for the backend,
    // then in the event loop's queue) is not the guest's CPU time, and
    // counting it made most requests yield once right after the backend
    // answered (an extra post and Poll). A guest that computes still
    // yields at the next tick.
    store_->SetEpochDeadline(1);
    if (call_->Poll() == AsyncPoll::kPending) return;
    Result<int32_t> r = call_->TakeResult();
    call_.reset();
    if (!r.ok()) {
      return Fail(r.is_trap() ? r.trap().ToString() : r.status().ToString());
    }
    int32_t status = 500;
    std::string body(*r >= 0 ? static_cast<size_t>(*r) : 0, '\0');
    if (*r < 0 ||
        !memory_
             ->Read(*store_, *status_addr_,
                    absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&status),
                                        sizeof(status)))
             .ok() ||
        !memory_
             ->Read(*store_, *response_addr_,
                    absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(body.data()),
                                        body.size()))
             .ok()) {
      status = 500;
      body = "bad response from the guest\n";
    }
    store_.reset();  // the instance's slot goes back to the pool
    Respond(status, body, false);
  }

  void Fail(const std::string& why) {
    call_.reset();
    store_.reset();
    Respond(500, why + "\n", false);
  }

  // --- Response.
  void Respond(int status, std::string_view body, bool close) {
    if (close) keep_alive_ = false;
    const char* reason = status == 200   ? "OK"
                         : status == 400 ? "Bad Request"
                         : status == 414 ? "URI Too Long"
                                         : "Internal Server Error";
    out_ = absl::StrCat("HTTP/1.1 ", status, " ", reason,
                        "\r\nContent-Type: text/plain\r\nContent-Length: ",
                        body.size(),
                        keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    out_.append(body);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](
                          const boost::system::error_code& ec, size_t) {
                        if (ec) return;
                        if (self->keep_alive_) {
                          self->ReadRequest();
                        } else {
                          boost::system::error_code ignored;
                          self->socket_.shutdown(tcp::socket::shutdown_both,
                                                 ignored);
                        }
                      });
  }

  Server::Impl& server_;
  asio::io_context& io_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf in_;
  std::string path_;
  std::string out_;
  bool keep_alive_ = true;
  // One request at a time; the call goes before its store.
  std::optional<Store<RequestData>> store_;
  std::optional<Memory> memory_;
  std::optional<uint32_t> status_addr_, response_addr_;
  std::optional<AsyncCall<int32_t>> call_;
};

}  // namespace

void Server::Impl::Accept(Worker& w) {
  w.acceptor.async_accept([this, &w](const boost::system::error_code& ec,
                                     tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Connection>(*this, w, std::move(socket))->ReadRequest();
    }
    Accept(w);
  });
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (!options.native) {
    std::ifstream file(options.guest_path, std::ios::binary);
    if (!file) {
      return absl::NotFoundError(
          absl::StrCat("server: cannot read the guest ", options.guest_path));
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                               std::istreambuf_iterator<char>());
    absl::StatusOr<Module> module = Module::FromBinary(impl->engine, bytes);
    if (!module.ok()) return module.status();
    impl->request_addr = GuestAddress(*module, "request");
    impl->status_addr = GuestAddress(*module, "status");
    impl->response_addr = GuestAddress(*module, "response");
    // The backend: answers after backend_delay_us, on the event loop; the
    // guest's fiber waits suspended meanwhile.
    absl::Status s = impl->linker.FuncWrapAsync(
        "env", "backend_get",
        [](Caller<RequestData>& caller, int32_t key) -> Future<int32_t> {
          RequestData& data = caller.data();
          auto [future, promise] = MakeFuture<int32_t>();
          data.timer->expires_after(data.delay);
          data.timer->async_wait(
              [p = std::move(promise),
               key](const boost::system::error_code&) mutable {
                p.Set(BackendValue(key));
              });
          return std::move(future);
        });
    if (!s.ok()) return s;
    Store<RequestData> store(impl->engine, RequestData{});
    absl::StatusOr<InstancePre<RequestData>> pre =
        impl->linker.InstantiatePre(store, *module);
    if (!pre.ok()) return pre.status();
    impl->pre.emplace(*std::move(pre));
  }
  boost::system::error_code ec;
  const asio::ip::address address =
      asio::ip::make_address(options.host, ec);
  if (ec) return absl::InvalidArgumentError("server: bad host " + options.host);
  uint16_t port = options.port;
  for (int t = 0; t < std::max(1, options.threads); ++t) {
    auto w = std::make_unique<Worker>();
    tcp::endpoint endpoint(address, port);
    w->acceptor.open(endpoint.protocol(), ec);
    if (!ec) w->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) w->acceptor.set_option(ReusePort(true), ec);
    if (!ec) w->acceptor.bind(endpoint, ec);
    if (!ec) w->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "server: cannot listen on ", options.host, ":", port, ": ",
          ec.message()));
    }
    port = w->acceptor.local_endpoint().port();  // the one port 0 got
    impl->workers.push_back(std::move(w));
  }
  impl->port = port;
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

uint16_t Server::port() const { return impl_->port; }

void Server::Start() {
  if (impl_->started) return;
  impl_->started = true;
  for (auto& w : impl_->workers) {
    impl_->Accept(*w);
    w->thread = std::thread([io = &w->io] { io->run(); });
  }
  impl_->ticker = std::thread([impl = impl_.get()] {
    const auto tick = std::chrono::microseconds(
        std::max(1, impl->options.epoch_tick_us));
    while (!impl->stopping.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_for(tick);
      impl->engine.IncrementEpoch();
    }
  });
}

void Server::Stop() {
  if (!impl_->started || impl_->stopping.exchange(true)) return;
  for (auto& w : impl_->workers) w->io.stop();
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  if (impl_->ticker.joinable()) impl_->ticker.join();
  // Connections still queued in the io_contexts (their stores) go with
  // the workers, before the engine.
  impl_->workers.clear();
}

}  // namespace kiln::server
