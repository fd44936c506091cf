#include "witness/http.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>

namespace complycli::witness {

namespace {

// Closes a socket.
void set_timeouts(int fd)
{
  timeval tv{};
  tv.tv_sec = http_timeout_seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool send_all(int fd, std::string_view data)
{
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string lower(std::string_view text)
{
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

std::optional<uint64_t> parse_decimal(std::string_view text)
{
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  uint64_t value = 0;
  const auto *end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

// An HTTP message's head, parsed: the start line and the headers we use.
struct Head {
  std::string start_line;
  std::optional<uint64_t> content_length;
  bool bad_content_length = false;
  bool chunked = false;
};

std::optional<Head> parse_head(std::string_view head)
{
  Head out;
  const auto first = head.find("\r\n");
  out.start_line = std::string(head.substr(0, first));
  std::size_t at = first == std::string_view::npos ? head.size() : first + 2;
  while (at < head.size()) {
    auto end = head.find("\r\n", at);
    if (end == std::string_view::npos) {
      end = head.size();
    }
    const auto line = head.substr(at, end - at);
    at = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return std::nullopt;
    }
    const auto name = lower(line.substr(0, colon));
    const auto value = line.substr(colon + 1);
    if (name == "content-length") {
      const auto length = parse_decimal(value);
      if (!length || (out.content_length && *out.content_length != *length)) {
        out.bad_content_length = true;
      }
      out.content_length = length;
    } else if (name == "transfer-encoding") {
      out.chunked = true;
    }
  }
  return out;
}

// Read a message head (up to the blank line) and then `body_length(head)` bytes of body, within the
// limits. Returns the head text (without the blank line) and the body; nullopt on a timeout, a closed
// connection or a limit exceeded (`too_large` says which).
struct Message {
  std::string head;
  std::string body;
};
enum class ReadFailure { closed, head_too_large };

std::optional<Message> read_head(int fd, std::string &buffer, ReadFailure &failure)
{
  while (true) {
    const auto end = buffer.find("\r\n\r\n");
    if (end != std::string::npos) {
      Message message;
      message.head = buffer.substr(0, end);
      buffer.erase(0, end + 4);
      return message;
    }
    if (buffer.size() > max_http_head) {
      failure = ReadFailure::head_too_large;
      return std::nullopt;
    }
    char chunk[4096];
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      failure = ReadFailure::closed;
      return std::nullopt;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

// Read until `buffer` holds `length` bytes (or EOF when `length` is nullopt), never more than `limit`.
bool read_body(int fd, std::string &buffer, std::optional<uint64_t> length, std::size_t limit)
{
  while (!length || buffer.size() < *length) {
    if (buffer.size() > limit) {
      return false;
    }
    char chunk[4096];
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n == 0 && !length) {
      return true;
    }
    if (n <= 0) {
      return false;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  buffer.resize(static_cast<std::size_t>(*length));
  return true;
}

const char *reason(int status)
{
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 411:
    return "Length Required";
  case 413:
    return "Content Too Large";
  case 422:
    return "Unprocessable Entity";
  case 431:
    return "Request Header Fields Too Large";
  default:
    return "Internal Server Error";
  }
}

void respond(int fd, int status, std::string_view body, std::string_view extra_headers = {})
{
  const auto *type = status == 409 ? "text/x.tlog.size" : "text/plain; charset=utf-8";
  send_all(fd, fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
                           status, reason(status), type, body.size(), extra_headers));
  send_all(fd, body);
}

// "origin size" of the checkpoint in an add-checkpoint body, for the server's log.
std::string describe(std::string_view body)
{
  const auto blank = body.find("\n\n");
  if (blank == std::string_view::npos) {
    return "-";
  }
  const auto checkpoint = body.substr(blank + 2);
  const auto origin_end = checkpoint.find('\n');
  if (origin_end == std::string_view::npos) {
    return "-";
  }
  const auto size_end = checkpoint.find('\n', origin_end + 1);
  return fmt::format("{} {}", checkpoint.substr(0, std::min<std::size_t>(origin_end, 200)),
                     checkpoint.substr(origin_end + 1, std::min<std::size_t>(size_end - origin_end - 1, 20)));
}

// One connection: read one request, answer it, close.
void handle(int fd, const std::filesystem::path &folder, const std::function<void(std::string_view)> &log)
{
  set_timeouts(fd);
  std::string buffer;
  ReadFailure failure{};
  auto message = read_head(fd, buffer, failure);
  if (!message) {
    if (failure == ReadFailure::head_too_large) {
      respond(fd, 431, "request head too large\n");
    }
    return;
  }
  const auto head = parse_head(message->head);
  if (!head) {
    respond(fd, 400, "malformed header line\n");
    return;
  }
  const auto &line = head->start_line;
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1 || line.compare(sp2 + 1, 7, "HTTP/1.") != 0) {
    respond(fd, 400, "malformed request line\n");
    return;
  }
  const auto method = line.substr(0, sp1);
  const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto answer = [&](int status, std::string_view body, std::string_view extra = {}) {
    respond(fd, status, body, extra);
    log(fmt::format("{} {} {} {}", method, target.substr(0, 200), status, describe(message->body)));
  };
  if (target != "/add-checkpoint") {
    answer(404, "not found: this witness serves POST /add-checkpoint\n");
    return;
  }
  if (method != "POST") {
    answer(405, "use POST\n", "Allow: POST\r\n");
    return;
  }
  if (head->chunked || !head->content_length || head->bad_content_length) {
    answer(411, "a Content-Length is required\n");
    return;
  }
  if (*head->content_length > max_http_body) {
    answer(413, fmt::format("the body may be at most {} bytes\n", max_http_body));
    return;
  }
  if (!read_body(fd, buffer, head->content_length, max_http_body)) {
    return;
  }
  message->body = std::move(buffer);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto result = add_checkpoint(folder, message->body, static_cast<uint64_t>(now));
  if (!result) {
    answer(500, "the witness could not record the checkpoint\n");
    log(fmt::format("error: {}", result.error().message));
    return;
  }
  answer(result->status, result->body);
}

} // namespace


Result<Listener> Listener::open(std::string_view address)
{
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(Errc::usage, "--listen {}: expected HOST:PORT, e.g. 127.0.0.1:8080", address);
  }
  const std::string host(address.substr(0, colon));
  const auto port = parse_decimal(address.substr(colon + 1));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (!port || *port > 65535 || ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return fail(Errc::usage, "--listen {}: expected a numeric IPv4 HOST and a PORT, e.g. 127.0.0.1:8080", address);
  }
  addr.sin_port = htons(static_cast<uint16_t>(*port));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return fail(Errc::io, "cannot create a socket: {}", std::strerror(errno));
  }
  util::UniqueFd guard(fd);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    return fail(Errc::io, "cannot listen on {}: {}", address, std::strerror(errno));
  }
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length);
  Listener listener(::dup(fd), fmt::format("{}:{}", host, ntohs(addr.sin_port)));
  return listener;
}

Result<void> serve(const Listener &listener, const std::filesystem::path &folder,
                   const std::function<void(std::string_view)> &log, const std::function<bool()> &stop)
{
  TRY(public_key(folder)); // a witness folder, before the first request
  while (!stop()) {
    const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return fail(Errc::io, "cannot accept a connection on {}: {}", listener.address(), std::strerror(errno));
    }
    util::UniqueFd connection(fd);
    handle(fd, folder, log);
    // Close gently: stop sending, then read what the client still sends (a body we did not read) until
    // it closes, briefly, so that closing with unread data does not reset the connection before the
    // client has read the answer.
    ::shutdown(fd, SHUT_WR);
    timeval tv{};
    tv.tv_sec = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char drain[4096];
    for (std::size_t total = 0; total < 2 * max_http_body;) {
      const auto n = ::recv(fd, drain, sizeof drain, 0);
      if (n <= 0) {
        break;
      }
      total += static_cast<std::size_t>(n);
    }
  }
  return {};
}

Result<AddResult> post_add_checkpoint(std::string_view url, std::string_view body)
{
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) {
    return fail(Errc::usage, "--witness {}: only http:// URLs are supported (or a witness folder)", url);
  }
  auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  std::string prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash));
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  std::string host(authority), port = "80";
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = std::string(authority.substr(0, colon));
    port = std::string(authority.substr(colon + 1));
  }
  if (host.empty() || !parse_decimal(port)) {
    return fail(Errc::usage, "--witness {}: expected http://HOST[:PORT][/PREFIX]", url);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return fail(Errc::io, "witness {}: cannot resolve {}: {}", url, host, ::gai_strerror(rc));
  }
  int fd = -1;
  int connect_errno = 0;
  for (auto *ai = found; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      continue;
    }
    set_timeouts(fd);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      break;
    }
    connect_errno = errno;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return fail(Errc::io, "witness {}: cannot connect: {}", url, std::strerror(connect_errno));
  }
  util::UniqueFd connection(fd);
  const auto request = fmt::format("POST {}/add-checkpoint HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain; "
                                   "charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                   prefix, authority, body.size());
  if (!send_all(fd, request) || !send_all(fd, body)) {
    return fail(Errc::io, "witness {}: cannot send the request: {}", url, std::strerror(errno));
  }
  std::string buffer;
  ReadFailure failure{};
  auto message = read_head(fd, buffer, failure);
  if (!message) {
    return fail(Errc::io, "witness {}: {}", url,
                failure == ReadFailure::head_too_large ? "the response head is too large"
                                                       : "no HTTP response (connection closed or timed out)");
  }
  const auto head = parse_head(message->head);
  const auto &line = head ? head->start_line : std::string();
  std::optional<uint64_t> status;
  if (line.size() >= 12 && line.compare(0, 7, "HTTP/1.") == 0 && line[8] == ' ') {
    status = parse_decimal(std::string_view(line).substr(9, 3));
  }
  if (!head || !status || head->bad_content_length || head->chunked) {
    return fail(Errc::io, "witness {}: not an HTTP/1.x response it understands: {}", url, line.substr(0, 100));
  }
  if (head->content_length && *head->content_length > max_http_body) {
    return fail(Errc::io, "witness {}: a response body of {} bytes is too large", url, *head->content_length);
  }
  if (!read_body(fd, buffer, head->content_length, max_http_body)) {
    return fail(Errc::io, "witness {}: the response body is cut short or too large", url);
  }
  return AddResult{static_cast<int>(*status), std::move(buffer)};
}

} // namespace complycli::witness
