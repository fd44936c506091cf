#pragma once

// The tlog-witness HTTP interface (https://c2sp.org/tlog-witness): POST <prefix>/add-checkpoint, served
// by a small blocking HTTP/1.1 server over plain sockets (one connection at a time, Connection: close,
// strict size and time limits), and the client side that `audit checkpoint --witness URL` uses.
// Only http:// (no TLS): put the witness behind a TLS-terminating proxy to expose it beyond localhost.

#include "core/error.hpp"
#include "util/unique_fd.hpp"
#include "witness/witness.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace complycli::witness {

// Limits of the server and the client: the request/response head and body sizes, and how long one
// read or write may block.
inline constexpr std::size_t max_http_head = 8192;
inline constexpr std::size_t max_http_body = 65536;
inline constexpr int http_timeout_seconds = 10;

// A listening TCP socket.
class Listener {
public:
  // Listen on `address`, "HOST:PORT" with a numeric IPv4 host (PORT 0: a free port). Errc::usage when
  // the address does not parse, Errc::io when it cannot be bound.
  static Result<Listener> open(std::string_view address);
  Listener(Listener &&other) noexcept = default;
  Listener &operator=(Listener &&) = delete;
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;

  // "HOST:PORT" with the port actually bound.
  const std::string &address() const { return m_address; }
  int fd() const { return m_fd.get(); }

private:
  Listener(int fd, std::string address) : m_fd(fd), m_address(std::move(address)) {}
  util::UniqueFd m_fd;
  std::string m_address;
};

// Serve add-checkpoint requests for the witness in `folder` until `stop()` returns true (checked after
// every connection) or an accept fails. Each finished request is reported to `log` ("POST
// /add-checkpoint 200 origin size" and the like); a bad connection is answered (400, 404, 405, 411, 413)
// or dropped, never fatal.
Result<void> serve(const Listener &listener, const std::filesystem::path &folder,
                   const std::function<void(std::string_view)> &log,
                   const std::function<bool()> &stop = [] { return false; });

// POST `body` to `<url>/add-checkpoint`, `url` being http://HOST:PORT[/PREFIX]. Returns the HTTP status
// and body. Errc::usage for a URL that is not http://, Errc::io when the witness cannot be reached or
// answers something that is not HTTP/1.x.
Result<AddResult> post_add_checkpoint(std::string_view url, std::string_view body);

} // namespace complycli::witness
