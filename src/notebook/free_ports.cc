#include "notebook/free_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace corral::notebook {

Result<std::vector<int>> FreeLoopbackPorts(int count) {
  // All sockets stay open until every port is chosen, so that the ports differ.
  std::vector<int> fds;
  std::vector<int> ports;
  Status failed = Status::Ok();
  for (int i = 0; i < count && failed.ok(); ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      failed = Internal(std::string("socket: ") + strerror(errno));
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      failed = Internal(std::string("choosing a port: ") + strerror(errno));
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  if (!failed.ok()) return failed;
  return ports;
}

}  // namespace corral::notebook
