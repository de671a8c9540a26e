#include "workflow_runner/step_files.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace corral::workflow_runner {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxResultBytes = 256 * 1024;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string QuoteArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + Quote(a);
  return out;
}

Status WriteFile(const fs::path& p, const std::string& text, fs::perms perms) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Internal("cannot write " + p.string());
  std::error_code ec;
  fs::permissions(p, perms, ec);
  return Status::Ok();
}

std::string ReadFile(const fs::path& p, size_t keep_last = 0) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return "";
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (keep_last && s.size() > keep_last) s = s.substr(s.size() - keep_last);
  return s;
}

// Containers in an order that respects their dependencies.
std::vector<workflow::ContainerRun> Ordered(const std::vector<workflow::ContainerRun>& cs) {
  std::vector<workflow::ContainerRun> out;
  std::set<std::string> placed;
  for (size_t round = 0; round <= cs.size() && out.size() < cs.size(); ++round) {
    for (const auto& c : cs) {
      if (placed.count(c.name)) continue;
      bool ready = true;
      for (const auto& d : c.dependencies) ready = ready && placed.count(d);
      if (ready) {
        out.push_back(c);
        placed.insert(c.name);
      }
    }
  }
  for (const auto& c : cs)
    if (!placed.count(c.name)) out.push_back(c);
  return out;
}

// Writes (once) the script that runs a step directory's run.sh inside bubblewrap.
Result<std::string> SandboxLauncher(const StepSandbox& sandbox, const ImageMap& images) {
  std::vector<std::string> argv = {sandbox.bwrap};
  if (sandbox.root_binds.empty()) {
    argv.insert(argv.end(), {"--dev-bind", "/", "/"});
  } else {
    argv.insert(argv.end(), {"--tmpfs", "/"});
    argv.insert(argv.end(), sandbox.root_binds.begin(), sandbox.root_binds.end());
  }
  std::string script =
      "#!/bin/sh\n# Runs the workflow step in directory $1 with a private root and /tmp.\nexec " +
      QuoteArgv(argv) + " --bind \"$1/tmp\" /tmp";
  // What lives under /tmp on the host (the data dir in tests) must stay reachable.
  for (const auto& keep : {sandbox.steps_root, sandbox.artifact_dir, images.shims_dir()}) {
    if (keep.rfind("/tmp/", 0) == 0) script += " --bind " + Quote(keep) + " " + Quote(keep);
  }
  script += " -- /bin/sh \"$1/run.sh\"\n";
  fs::path path = fs::path(sandbox.steps_root) / "sandbox.sh";
  if (ReadFile(path) == script) return path.string();
  fs::path tmp = path;
  tmp += ".new";
  CORRAL_RETURN_IF_ERROR(WriteFile(tmp, script, fs::perms(0755)));
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Internal("cannot write " + path.string() + ": " + ec.message());
  return path.string();
}

}  // namespace

Result<JobSpec> PrepareStep(const workflow::PodRequest& pod, const std::string& step_dir,
                            const ImageMap& images, const StepSandbox& sandbox) {
  std::error_code ec;
  fs::path d(step_dir);
  for (const char* sub : {"tmp", "work", "out/params", "out/artifacts", "out/containers"}) {
    fs::create_directories(d / sub, ec);
    if (ec) return Internal("cannot create " + (d / sub).string() + ": " + ec.message());
  }
  // The run's directory only lets the step's account reach its own step (the server's umask
  // closes what it creates).
  ::chmod(d.parent_path().c_str(), 0711);
  ::chmod(step_dir.c_str(), 0700);
  std::vector<workflow::ContainerRun> containers = pod.containers;
  if (containers.empty()) containers.push_back(pod.main);
  std::ostringstream sh;
  sh << "#!/bin/sh\n"
     << "corral_step=" << Quote(step_dir) << "\n"
     << "corral_artifacts=" << Quote(sandbox.artifact_dir)
     << "\n"
     // What images provide and a host may lack (cowsay, argosay, python), after the host's own.
     << "PATH=\"${PATH:-/usr/local/bin:/usr/bin:/bin}:\"" << Quote(images.shims_dir())
     << "; export PATH\n";
  // Images start in `/` unless they say otherwise; without a private root, the step's own
  // work directory stands for it.
  std::string workdir = !pod.main.workdir.empty()    ? pod.main.workdir
                        : sandbox.root_binds.empty() ? (d / "work").string()
                                                     : "/";
  sh << "mkdir -p " << Quote(workdir) << " && cd " << Quote(workdir) << " || exit 1\n";
  for (const auto& a : pod.input_artifacts) {
    if (a.path.empty()) continue;
    sh << "mkdir -p \"$(dirname " << Quote(a.path) << ")\"\n";
    if (a.raw) {
      sh << "printf '%s' " << Quote(*a.raw) << " > " << Quote(a.path) << "\n";
    } else if (a.key) {
      sh << "if [ -e \"$corral_artifacts/\"" << Quote(*a.key) << " ]; then rm -rf " << Quote(a.path)
         << "; cp -R \"$corral_artifacts/\"" << Quote(*a.key) << " " << Quote(a.path) << "; ";
      if (a.optional) {
        sh << "fi\n";
      } else {
        sh << "else echo " << Quote("input artifact '" + a.name + "' not found: " + *a.key)
           << " >&2; exit 1; fi\n";
      }
    }
  }
  if (pod.script) {
    CORRAL_RETURN_IF_ERROR(WriteFile(d / "script", *pod.script, fs::perms(0755)));
  }
  // Each container runs in its own background shell as soon as the containers it depends on
  // have ended (their exit codes appear under out/containers); one that fails or is skipped
  // skips its dependents, and the step's code is the first non-zero one in dependency order.
  sh << "run() {\n"
        "  corral_n=$1; shift\n"
        "  rm -f \"$corral_step/fifo.$corral_n\"; mkfifo \"$corral_step/fifo.$corral_n\" || { echo "
        "1 > \"$corral_step/out/containers/$corral_n\"; "
        "return 1; }\n"
        "  tee \"$corral_step/stdout.$corral_n\" < \"$corral_step/fifo.$corral_n\" &\n"
        "  corral_tp=$!\n"
        "  ( exec \"$@\" ) > \"$corral_step/fifo.$corral_n\"\n"
        "  corral_r=$?\n"
        "  wait $corral_tp\n"
        "  rm -f \"$corral_step/fifo.$corral_n\"\n"
        "  echo $corral_r > \"$corral_step/out/containers/$corral_n\"\n"
        "  return $corral_r\n"
        "}\n"
        "after() {\n"
        "  for corral_dep in \"$@\"; do\n"
        "    while [ ! -s \"$corral_step/out/containers/$corral_dep\" ]; do sleep 0.01; done\n"
        "    [ \"$(cat \"$corral_step/out/containers/$corral_dep\")\" = 0 ] || return 1\n"
        "  done\n"
        "}\n"
        "corral_pids=\n";
  std::string main_name;
  std::vector<workflow::ContainerRun> ordered = Ordered(containers);
  std::set<std::string> earlier;
  std::vector<std::string> names;
  for (const auto& c : ordered) {
    std::vector<std::string> argv = images.Argv(c);
    if (pod.script) argv.push_back((d / "script").string());
    std::string name = c.name.empty() ? "main" : c.name;
    if (main_name.empty() || name == "main") main_name = name;
    // Only containers placed before this one are waited for: an unknown name or a cycle
    // cannot make the step wait forever.
    std::vector<std::string> deps;
    for (const auto& dep : c.dependencies)
      if (earlier.count(dep)) deps.push_back(dep);
    std::string env;
    for (const auto& [k, v] : c.env)
      if (pod.containers.size() > 0) env += k + "=" + Quote(v) + " ";
    sh << "( if after " << QuoteArgv(deps) << "; then ";
    if (!pod.containers.empty() && !c.workdir.empty())
      sh << "mkdir -p " << Quote(c.workdir) << " && cd " << Quote(c.workdir) << " && ";
    sh << (env.empty() ? "" : "export " + env + "&& ") << "run " << Quote(name) << " "
       << QuoteArgv(argv) << "; else echo skipped > \"$corral_step/out/containers/\"" << Quote(name)
       << "; exit 1; fi ) &\n"
       << "corral_pids=\"$corral_pids $!\"\n";
    earlier.insert(name);
    names.push_back(name);
  }
  sh << "for corral_p in $corral_pids; do wait $corral_p; done\n"
     << "rc=0\n"
     << "for n in " << QuoteArgv(names) << "; do\n"
     << "  c=$(cat \"$corral_step/out/containers/$n\" 2>/dev/null || echo 1)\n"
     << "  [ \"$c\" = skipped ] && continue\n"
     << "  [ $rc -eq 0 ] && [ \"$c\" != 0 ] && rc=$c\n"
     << "done\n";
  sh << "cp \"$corral_step/stdout." << main_name << "\" \"$corral_step/stdout\" 2>/dev/null\n";
  for (const auto& p : pod.output_parameters) {
    sh << "if [ -f " << Quote(p.path) << " ]; then cp " << Quote(p.path)
       << " \"$corral_step/out/params/\"" << Quote(p.name) << "; fi\n";
  }
  for (const auto& a : pod.output_artifacts) {
    if (a.path.empty()) continue;
    sh << "if [ -e " << Quote(a.path) << " ]; then mkdir -p \"$(dirname \"$corral_artifacts/\""
       << Quote(a.key) << ")\" && rm -rf \"$corral_artifacts/\"" << Quote(a.key) << " && cp -R "
       << Quote(a.path) << " \"$corral_artifacts/\"" << Quote(a.key)
       << " && : > \"$corral_step/out/artifacts/\"" << Quote(a.name) << "; fi\n";
  }
  sh << "exit $rc\n";
  CORRAL_RETURN_IF_ERROR(WriteFile(d / "run.sh", sh.str(), fs::perms(0755)));

  if (sandbox.owner) {
    auto [uid, gid] = *sandbox.owner;
    if (::chown(step_dir.c_str(), uid, gid) != 0)
      return Internal("cannot hand " + step_dir + " to uid " + std::to_string(uid));
    for (auto it = fs::recursive_directory_iterator(d, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      (void)::lchown(it->path().c_str(), uid, gid);
  }
  JobSpec spec;
  std::string name;
  for (char c : pod.node_name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    name += ok ? c : '-';
  }
  while (name.find("..") != std::string::npos) name.replace(name.find(".."), 2, ".-");
  if (name.size() > 200) name = name.substr(0, 200);
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) name = "step-" + name;
  spec.name = name;
  spec.resources.cpus = 0;
  spec.workdir = (d / "work").string();
  if (pod.containers.empty()) spec.env = pod.main.env;
  spec.env["TMPDIR"] = sandbox.bwrap.empty() ? (d / "tmp").string() : "/tmp";
  spec.labels["corral.workflow/node"] = pod.node_id.size() <= 256 ? pod.node_id : "";
  if (pod.deadline) spec.time_limit = *pod.deadline;
  if (sandbox.bwrap.empty()) {
    spec.command = {"/bin/sh", (d / "run.sh").string()};
  } else {
    // One launcher for every step, so that a job's stored command stays three words however
    // many directories the private root binds (10,000 steps are 10,000 jobs in memory).
    CORRAL_ASSIGN_OR_RETURN(std::string launcher, SandboxLauncher(sandbox, images));
    spec.command = {"/bin/sh", launcher, step_dir};
  }
  return spec;
}

workflow::PodExit ReadStepExit(const std::string& step_dir, int exit_code) {
  workflow::PodExit exit;
  exit.exit_code = exit_code;
  fs::path d(step_dir);
  exit.stdout_text = ReadFile(d / "stdout", kMaxResultBytes);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(d / "out/params", ec))
    exit.parameters[e.path().filename().string()] = ReadFile(e.path());
  for (const auto& e : fs::directory_iterator(d / "out/artifacts", ec))
    exit.artifacts.push_back(e.path().filename().string());
  for (const auto& e : fs::directory_iterator(d / "out/containers", ec)) {
    try {
      exit.container_exit_codes[e.path().filename().string()] = std::stoi(ReadFile(e.path()));
    } catch (...) {
    }
  }
  return exit;
}

std::vector<std::string> RootBindArgs() {
  std::vector<std::string> args;
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (const auto& e : fs::directory_iterator("/", ec)) entries.push_back(e);
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) {
    std::string path = e.path().string();
    if (path == "/tmp") continue;
    if (e.is_symlink(ec)) {
      auto target = fs::read_symlink(e.path(), ec);
      if (!ec) args.insert(args.end(), {"--symlink", target.string(), path});
    } else if (e.is_directory(ec)) {
      args.insert(args.end(), {"--dev-bind", path, path});
    }
  }
  return args;
}

std::string ProbeBubblewrap() {
  for (const char* path : {"/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"}) {
    if (::access(path, X_OK) != 0) continue;
    std::string cmd =
        std::string(path) + " --dev-bind / / --tmpfs /tmp -- /bin/true >/dev/null 2>&1";
    int rc = std::system(cmd.c_str());
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0) return path;
  }
  return "";
}

}  // namespace corral::workflow_runner
