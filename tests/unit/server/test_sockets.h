#pragma once

// Plain blocking sockets for driving the HTTP server from tests exactly as a client would,
// byte by byte, without a client library smoothing anything over.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

namespace corral::server::testing {

inline int ConnectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Appends whatever arrives within timeout_ms; false on EOF, error or timeout.
inline bool ReadSome(int fd, std::string& into, int timeout_ms = 5000) {
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  into.append(buf, static_cast<size_t>(n));
  return true;
}

// True when the peer has closed (EOF or reset) within timeout_ms; data that arrives is dropped.
inline bool ClosedWithin(int fd, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
  return false;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Reads one response (Content-Length or chunked) from fd; `pending` keeps bytes that belong to
// the next one. status 0: the connection ended first.
inline Response ReadResponse(int fd, std::string& pending) {
  Response res;
  size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadSome(fd, pending)) return res;
  }
  std::string head = pending.substr(0, end);
  pending.erase(0, end + 4);
  res.status = std::stoi(head.substr(9, 3));
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      res.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = next;
  }
  if (res.status == 101 || res.status == 204 || res.status == 304) return res;
  if (res.headers.count("content-length")) {
    size_t n = std::stoul(res.headers["content-length"]);
    while (pending.size() < n) {
      if (!ReadSome(fd, pending)) return Response{};
    }
    res.body = pending.substr(0, n);
    pending.erase(0, n);
    return res;
  }
  if (res.headers["transfer-encoding"] == "chunked") {
    for (;;) {
      size_t eol;
      while ((eol = pending.find("\r\n")) == std::string::npos) {
        if (!ReadSome(fd, pending)) return Response{};
      }
      size_t n = std::stoul(pending.substr(0, eol), nullptr, 16);
      while (pending.size() < eol + 2 + n + 2) {
        if (!ReadSome(fd, pending)) return Response{};
      }
      res.body += pending.substr(eol + 2, n);
      pending.erase(0, eol + 2 + n + 2);
      if (n == 0) return res;
    }
  }
  return res;
}

inline std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

// A TCP listener on 127.0.0.1 that serves every connection on a thread of its own.
class Listener {
 public:
  explicit Listener(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::thread([serve = serve_, c] {
          serve(c);
          ::close(c);
        }).detach();
      }
    });
  }
  ~Listener() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  std::function<void(int)> serve_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace corral::server::testing
