#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "workflow/engine.h"

namespace corral::workflow_runner {

// Argo runs a container's command inside its image; a host has no images. This map says what an
// image's entrypoint is on this host (like the `images:` setting of Argo's controller), and maps
// the few programs images provide that a host may lack (argosay, cowsay, python) to host ones.
class ImageMap {
 public:
  // Built-in entries only; `shims_dir` holds the argosay and cowsay shims.
  explicit ImageMap(std::string shims_dir);

  // Adds (and overrides with) entries from a YAML file: `IMAGE: {command: [...]}`. An IMAGE
  // ending in '*' matches by prefix.
  Status LoadFile(const std::string& path);

  // The argv a container runs: its command (or the image's entrypoint when it has none) and its
  // args, with argv[0] mapped to a host program where needed.
  std::vector<std::string> Argv(const workflow::ContainerRun& c) const;

  const std::string& shims_dir() const { return shims_dir_; }

 private:
  std::vector<std::string> Entrypoint(const std::string& image) const;
  std::string HostProgram(const std::string& program) const;

  std::string shims_dir_;
  std::vector<std::pair<std::string, std::vector<std::string>>> entries_;  // later wins
};

// Where the shipped image shims are: beside the binary (../share/corral/images), else in the
// source tree it was built from.
std::string FindShimsDir();

}  // namespace corral::workflow_runner
