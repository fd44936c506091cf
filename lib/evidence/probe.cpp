// The live TLS probe (see probe.hpp). Certificates are not verified: the probe records what the
// server offers, it does not decide whether to trust it.

#include "evidence/probe.hpp"

#include "evidence/certificate.hpp"
#include "util/unique_fd.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <cerrno>
#include <cstring>
#include <regex>
#include <utility>

namespace complycli::evidence {

namespace {

constexpr int timeout_ms = 5000;

struct Target {
  std::string host;
  std::string port = "443";
};

std::optional<Target> parse_url(const std::string& url)
{
  static const std::regex pattern(R"(^https://(\[[0-9a-fA-F:.]+\]|[^/:?#\[\]]+)(:([0-9]{1,5}))?(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, pattern)) {
    return std::nullopt;
  }
  Target t;
  t.host = m[1].str();
  if (t.host.front() == '[') {
    t.host = t.host.substr(1, t.host.size() - 2);
  }
  if (m[3].matched) {
    t.port = m[3].str();
  }
  return t;
}

using Socket = util::UniqueFd;

// Connect with a timeout; the socket then has send and receive timeouts too.
Result<Socket> tcp_connect(const Target& target)
{
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (const int rc = ::getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &list); rc != 0) {
    return fail(Errc::io, "cannot resolve {}: {}", target.host, ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(list, ::freeaddrinfo);
  std::string last_error = "no address";
  for (auto* a = list; a; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (s.get() < 0) {
      continue;
    }
    const int flags = ::fcntl(s.get(), F_GETFL);
    ::fcntl(s.get(), F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(s.get(), a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s.get(), POLLOUT, 0};
      rc = ::poll(&p, 1, timeout_ms);
      if (rc == 1) {
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &error, &length);
        rc = error == 0 ? 0 : -1;
        errno = error;
      } else {
        errno = rc == 0 ? ETIMEDOUT : errno;
        rc = -1;
      }
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    ::fcntl(s.get(), F_SETFL, flags);
    timeval tv{timeout_ms / 1000, 0};
    ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return s;
  }
  return fail(Errc::io, "cannot connect to {}:{}: {}", target.host, target.port, last_error);
}

struct Attempt {
  bool accepted = false;
  std::string cipher;
  std::unique_ptr<X509, decltype(&X509_free)> certificate{nullptr, X509_free};
  std::string response; // the start of the reply to GET /
};

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

// One handshake limited to `version`; with `fetch`, also GET / and keep the response head.
Result<Attempt> attempt(const Target& target, int version, bool fetch)
{
  Attempt result;
  SslCtx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) {
    return fail(Errc::io, "openssl: cannot create a TLS context");
  }
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (version < TLS1_2_VERSION) {
    // Old protocols need SHA-1 and old ciphers, which security level 1+ refuses on the client side.
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  }
  auto socket = TRY(tcp_connect(target));
  SslPtr ssl(SSL_new(ctx.get()), SSL_free);
  if (!ssl) {
    return fail(Errc::io, "openssl: cannot create a TLS connection");
  }
  SSL_set_fd(ssl.get(), socket.get());
  if (std::none_of(target.host.begin(), target.host.end(), [](char c) { return c == ':'; }) &&
      !std::regex_match(target.host, std::regex(R"([0-9.]+)"))) {
    SSL_set_tlsext_host_name(ssl.get(), target.host.c_str());
  }
  if (SSL_connect(ssl.get()) != 1) {
    ERR_clear_error();
    return result;
  }
  result.accepted = true;
  result.cipher = SSL_get_cipher_name(ssl.get());
  result.certificate.reset(SSL_get1_peer_certificate(ssl.get()));
  if (fetch) {
    const std::string request = fmt::format("GET / HTTP/1.1\r\nHost: {}\r\nUser-Agent: complycli/{}\r\nAccept: */*\r\n"
                                            "Connection: close\r\n\r\n", target.host, COMPLYCLI_VERSION);
    if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) > 0) {
      char buffer[4096];
      while (result.response.size() < 65536 && result.response.find("\r\n\r\n") == std::string::npos &&
             result.response.find("\n\n") == std::string::npos) {
        const int n = SSL_read(ssl.get(), buffer, sizeof buffer);
        if (n <= 0) {
          break;
        }
        result.response.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  SSL_shutdown(ssl.get());
  ERR_clear_error();
  return result;
}

} // namespace

Result<void> probe(LoadState& state, const std::string& url)
{
  const auto target = parse_url(url);
  if (!target) {
    return fail(Errc::usage, "--url {}: expected https://HOST[:PORT]", url);
  }
  const std::string resource = "url " + url;
  struct Version {
    int id;
    const char* name;
  };
  const Version versions[] = {{TLS1_VERSION, "TLSv1"}, {TLS1_1_VERSION, "TLSv1.1"}, {TLS1_2_VERSION, "TLSv1.2"},
                              {TLS1_3_VERSION, "TLSv1.3"}};
  std::string protocols;
  std::string ciphers;
  Attempt best;
  for (const auto& v : versions) {
    auto a = attempt(*target, v.id, false);
    if (!a) {
      return add_error(state, url, 0, "probe", a.error().message);
    }
    if (a->accepted) {
      protocols += (protocols.empty() ? "" : " ") + std::string(v.name);
      if (ciphers.find(a->cipher) == std::string::npos) {
        ciphers += (ciphers.empty() ? "" : ":") + a->cipher;
      }
    }
  }
  if (protocols.empty()) {
    return add_error(state, url, 0, "probe", "no TLS handshake succeeded with TLS 1.0, 1.1, 1.2 or 1.3");
  }
  // The certificate and headers from a normal connection at the best version the server accepts.
  const int best_version = protocols.find("TLSv1.3") != std::string::npos   ? TLS1_3_VERSION
                           : protocols.find("TLSv1.2") != std::string::npos ? TLS1_2_VERSION
                           : protocols.find("TLSv1.1") != std::string::npos ? TLS1_1_VERSION
                                                                            : TLS1_VERSION;
  auto fetched = attempt(*target, best_version, true);
  if (!fetched) {
    return add_error(state, url, 0, "probe", fetched.error().message);
  }
  TRY_VOID(add_input(state, url, "probe"));
  TRY_VOID(state.db.insert("tls_endpoints", {resource, std::string("probe"), protocols, ciphers, weak_ciphers(ciphers),
                                             Value{}, Value{}, url, Value{}, Value{}}));
  if (fetched->certificate) {
    TRY_VOID(add_certificate(state, resource, fetched->certificate.get(), url, Value{}));
  }
  // The response head: a status line, then headers.
  static const std::regex status_line(R"(^HTTP/[0-9.]+ ([0-9]{3}).*)");
  std::smatch m;
  const auto& response = fetched->response;
  std::size_t start = 0;
  std::size_t end = response.find('\n');
  std::string first = response.substr(0, end);
  if (!first.empty() && first.back() == '\r') {
    first.pop_back();
  }
  if (!std::regex_match(first, m, status_line)) {
    return {}; // not HTTP: TLS evidence only
  }
  const int64_t endpoint = state.next_endpoint++;
  TRY_VOID(state.db.insert("http_endpoints", {endpoint, resource, std::string("probe"), int64_t{std::stoi(m[1].str())}, url, Value{}}));
  start = end == std::string::npos ? response.size() : end + 1;
  while (start < response.size()) {
    end = response.find('\n', start);
    std::string line = response.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? response.size() : end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty()) {
      break;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    TRY_VOID(state.db.insert("http_headers", {endpoint, name, value, url, Value{}}));
  }
  return {};
}

} // namespace complycli::evidence
