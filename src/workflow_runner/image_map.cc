#include "workflow_runner/image_map.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

namespace corral::workflow_runner {

namespace fs = std::filesystem;

namespace {

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string p = path;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

bool Matches(const std::string& pattern, const std::string& image) {
  if (!pattern.empty() && pattern.back() == '*')
    return image.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  if (pattern == image) return true;
  // "name" matches "name:tag"; "docker.io/name" matches "name".
  auto strip = [](std::string s) {
    for (const char* prefix : {"docker.io/", "quay.io/", "ghcr.io/"})
      if (s.rfind(prefix, 0) == 0) s = s.substr(std::string(prefix).size());
    return s;
  };
  std::string img = strip(image), pat = strip(pattern);
  if (img == pat) return true;
  size_t colon = img.rfind(':');
  if (colon != std::string::npos && img.find('/', colon) == std::string::npos)
    return img.substr(0, colon) == pat;
  return false;
}

}  // namespace

ImageMap::ImageMap(std::string shims_dir) : shims_dir_(std::move(shims_dir)) {
  std::string argosay = shims_dir_ + "/argosay";
  std::string cowsay = shims_dir_ + "/cowsay";
  entries_ = {
      {"alpine*", {"/bin/sh"}},
      {"busybox*", {"/bin/sh"}},
      {"ubuntu*", {"/bin/bash"}},
      {"debian*", {"/bin/bash"}},
      {"bash*", {"/bin/bash"}},
      {"python*", {"/usr/bin/python3"}},
      {"library/python*", {"/usr/bin/python3"}},
      {"node*", {"node"}},
      {"docker/whalesay", {cowsay}},
      {"argoproj/argosay:v1", {cowsay}},
      {"argoproj/argosay:v2", {argosay}},
      {"argoproj/argosay", {argosay}},
  };
}

Status ImageMap::LoadFile(const std::string& path) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (root["images"]) root = root["images"];
    if (!root.IsMap()) return InvalidArgument("images-file", path + ": must be a map of images");
    for (const auto& kv : root) {
      std::string image = kv.first.as<std::string>();
      YAML::Node cmd = kv.second["command"] ? kv.second["command"] : kv.second["cmd"];
      if (!cmd || !cmd.IsSequence())
        return InvalidArgument("images-file", path + ": " + image + ": needs command: [...]");
      std::vector<std::string> argv;
      for (const auto& a : cmd) argv.push_back(a.as<std::string>());
      entries_.emplace_back(image, std::move(argv));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument("images-file", path + ": " + e.what());
  }
  return Status::Ok();
}

std::vector<std::string> ImageMap::Entrypoint(const std::string& image) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if (Matches(it->first, image)) return it->second;
  return {};
}

std::string ImageMap::HostProgram(const std::string& program) const {
  if (program == "/argosay" || program == "argosay") return shims_dir_ + "/argosay";
  if ((program == "cowsay" || program == "/usr/games/cowsay") && !OnPath("cowsay"))
    return shims_dir_ + "/cowsay";
  if (program == "python" || program == "python3" || program == "/usr/local/bin/python" ||
      program == "/usr/local/bin/python3" || program == "/usr/bin/python") {
    if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  }
  return program;
}

std::vector<std::string> ImageMap::Argv(const workflow::ContainerRun& c) const {
  std::vector<std::string> argv = c.command.empty() ? Entrypoint(c.image) : c.command;
  if (argv.empty() && c.args.empty()) argv = {"/bin/true"};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  if (!argv.empty()) argv[0] = HostProgram(argv[0]);
  return argv;
}

std::string FindShimsDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    fs::path dir = exe.parent_path();
    candidates = {dir / "../share/corral/images", dir / "share/corral/images",
                  dir / "../../share/corral/images"};
  }
#ifdef CORRAL_SOURCE_DIR
  candidates.push_back(fs::path(CORRAL_SOURCE_DIR) / "share/corral/images");
#endif
  for (const auto& c : candidates)
    if (fs::exists(c / "argosay", ec)) return fs::weakly_canonical(c, ec).string();
  return candidates.empty() ? std::string("share/corral/images") : candidates.front().string();
}

}  // namespace corral::workflow_runner
