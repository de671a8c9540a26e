#pragma once

#include <atomic>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/api_service.h"
#include "api/control_port.h"
#include "notebook/notebook_controller.h"

namespace corral::api {

// /api/v1/notebooks (start, list, describe, stop, and the SSH tunnel), /api/v1/ssh-keys (the
// caller's public keys) and /api/v1/environments (named environments; admins set them). One
// router mounted under the three names.
class NotebooksRoutes final : public SubRouter {
 public:
  NotebooksRoutes(ControlPort& control, notebook::NotebookController& notebooks,
                  size_t max_body_bytes = 1 << 20)
      : control_(control), notebooks_(notebooks), max_body_bytes_(max_body_bytes) {}

  // Reached only through ApiService::Handle, whose barrier covers what this throws.
  HttpResponse Handle(const jobs::Caller& caller, const std::vector<std::string>& parts,
                      const HttpRequest& request) override;

 private:
  HttpResponse Notebooks(const jobs::Caller& caller, const std::vector<std::string>& parts,
                         const HttpRequest& request);
  HttpResponse Create(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse SshTunnel(const jobs::Caller& caller, NotebookId id);
  HttpResponse SshKeys(const jobs::Caller& caller, const std::vector<std::string>& parts,
                       const HttpRequest& request);
  HttpResponse Environments(const jobs::Caller& caller, const std::vector<std::string>& parts,
                            const HttpRequest& request);

  ControlPort& control_;
  notebook::NotebookController& notebooks_;
  size_t max_body_bytes_;
  // Requests waiting for a notebook to settle (?wait_s=); bounded, since each holds a worker.
  std::atomic<int> waiting_{0};
};

// Wire form of a notebook (docs/notebooks.md). `origin` ("http://host:port") makes `url`
// absolute; empty leaves it a path.
nlohmann::json NotebookViewToJson(const notebook::NotebookView& view, const std::string& origin);

// Checks one public key line for authorized_keys: "<type> <base64> [comment]", no options, no
// control characters. Returns it normalised (single spaces, no trailing blanks).
Result<std::string> CheckSshPublicKey(const std::string& field, const std::string& line);

// {"environments": {"name": "/absolute/prefix", ...}} (PUT /environments, --environments-file).
Result<std::map<std::string, std::string>> ParseEnvironments(const nlohmann::json& body);

}  // namespace corral::api
