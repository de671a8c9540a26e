#include "train/pytorch_job.h"

#include <cmath>
#include <set>

#include "common/nul_bytes.h"

namespace corral::train {
namespace {

using nlohmann::json;

// Fields that only Kubernetes acts on: accepted and ignored, each with a warning.
const std::set<std::string> kIgnoredMetadata = {
    "namespace",         "annotations",     "uid",       "generateName", "resourceVersion",
    "creationTimestamp", "ownerReferences", "finalizers"};
const std::set<std::string> kIgnoredRunPolicy = {"cleanPodPolicy", "ttlSecondsAfterFinished",
                                                 "suspend", "managedBy"};
const std::set<std::string> kIgnoredPodSpec = {"volumes",
                                               "nodeSelector",
                                               "tolerations",
                                               "affinity",
                                               "serviceAccountName",
                                               "serviceAccount",
                                               "imagePullSecrets",
                                               "securityContext",
                                               "hostIPC",
                                               "hostNetwork",
                                               "hostPID",
                                               "schedulerName",
                                               "priorityClassName",
                                               "restartPolicy",
                                               "initContainers",
                                               "dnsPolicy",
                                               "terminationGracePeriodSeconds",
                                               "runtimeClassName",
                                               "topologySpreadConstraints",
                                               "shareProcessNamespace",
                                               "hostname",
                                               "subdomain"};
const std::set<std::string> kIgnoredContainer = {"name",
                                                 "image",
                                                 "imagePullPolicy",
                                                 "volumeMounts",
                                                 "ports",
                                                 "securityContext",
                                                 "livenessProbe",
                                                 "readinessProbe",
                                                 "startupProbe",
                                                 "lifecycle",
                                                 "stdin",
                                                 "tty",
                                                 "terminationMessagePath",
                                                 "terminationMessagePolicy",
                                                 "envFrom"};

class Reader {
 public:
  explicit Reader(std::vector<std::string>& warnings) : warnings_(warnings) {}

  // Checks that every key of `obj` is known or ignorable.
  Status Keys(const json& obj, const std::string& path, const std::set<std::string>& known,
              const std::set<std::string>& ignored = {}) {
    if (!obj.is_object()) return InvalidArgument(path.empty() ? "body" : path, "must be an object");
    for (auto& [k, v] : obj.items()) {
      const std::string p = path.empty() ? k : path + "." + k;
      if (known.count(k)) continue;
      if (ignored.count(k)) {
        warnings_.push_back(p + ": Kubernetes-only, ignored");
        continue;
      }
      return InvalidArgument(p, "unknown field");
    }
    return Status::Ok();
  }

 private:
  std::vector<std::string>& warnings_;
};

Result<std::string> String(const json& v, const std::string& path) {
  if (!v.is_string()) return InvalidArgument(path, "must be a string");
  return v.get<std::string>();
}

Result<int64_t> Integer(const json& v, const std::string& path, int64_t min, int64_t max) {
  if (!v.is_number_integer() &&
      !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()))
    return InvalidArgument(path, "must be an integer");
  double d = v.get<double>();
  if (d < static_cast<double>(min) || d > static_cast<double>(max))
    return InvalidArgument(
        path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return static_cast<int64_t>(d);
}

// "4", 4, "500m" -> whole CPUs, rounded up.
// Beyond these no node could hold the replica; within them the conversions cannot overflow.
constexpr double kMostCpus = 1e6;
constexpr double kMostMemoryMb = 1e12;

Result<int> WholeCpus(double c, const std::string& path) {
  if (!(c > 0 && c <= kMostCpus))
    return InvalidArgument(path, "must be more than 0 and at most 1000000 CPUs");
  return static_cast<int>(std::ceil(c));
}

Result<int> Cpus(const json& v, const std::string& path) {
  if (v.is_number()) return WholeCpus(v.get<double>(), path);
  CORRAL_ASSIGN_OR_RETURN(std::string s, String(v, path));
  double c = 0;
  try {
    size_t used = 0;
    if (!s.empty() && s.back() == 'm') {
      c = std::stod(s.substr(0, s.size() - 1), &used) / 1000;
      if (used != s.size() - 1) throw 0;
    } else {
      c = std::stod(s, &used);
      if (used != s.size()) throw 0;
    }
  } catch (...) {
    return InvalidArgument(path, "not a CPU quantity: '" + s + "'");
  }
  return WholeCpus(c, path);
}

Result<int64_t> WholeMb(double mb, const std::string& path) {
  if (!(mb > 0 && mb <= kMostMemoryMb))
    return InvalidArgument(path, "must be more than 0 and at most 1 EB");
  return static_cast<int64_t>(std::ceil(mb));
}

// "8Gi", "512Mi", "1G", "1000000000" -> MB (rounded up).
Result<int64_t> MemoryMb(const json& v, const std::string& path) {
  if (v.is_number()) return WholeMb(v.get<double>() / 1e6, path);
  CORRAL_ASSIGN_OR_RETURN(std::string s, String(v, path));
  static const std::pair<const char*, double> kUnits[] = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"k", 1e3},     {"K", 1e3},        {"M", 1e6},           {"G", 1e9},
      {"T", 1e12}};
  double factor = 1;
  std::string number = s;
  for (auto& [suffix, f] : kUnits) {
    std::string suf(suffix);
    if (s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0) {
      factor = f;
      number = s.substr(0, s.size() - suf.size());
      break;
    }
  }
  double n = 0;
  try {
    size_t used = 0;
    n = std::stod(number, &used);
    if (used != number.size()) throw 0;
  } catch (...) {
    return InvalidArgument(path, "not a memory quantity: '" + s + "'");
  }
  return WholeMb(n * factor / 1048576.0, path);
}

struct ReplicaSpec {
  int64_t replicas = 1;
  std::string restart_policy;
  json command = json::array();
  json env = json::object();
  int gpus = 0;
  int cpus = 0;
  int64_t memory_mb = 0;
  std::string workdir;
  std::string container_path;  // "spec.pytorchReplicaSpecs.Master.template.spec.containers[0]"
};

Result<ReplicaSpec> ReadReplicaSpec(const json& spec, const std::string& path, Reader& reader) {
  CORRAL_RETURN_IF_ERROR(reader.Keys(spec, path, {"replicas", "restartPolicy", "template"}));
  ReplicaSpec out;
  if (spec.contains("replicas")) {
    CORRAL_ASSIGN_OR_RETURN(out.replicas, Integer(spec["replicas"], path + ".replicas", 0, 1024));
  }
  if (spec.contains("restartPolicy")) {
    CORRAL_ASSIGN_OR_RETURN(out.restart_policy,
                            String(spec["restartPolicy"], path + ".restartPolicy"));
    static const std::set<std::string> kPolicies = {"Always", "OnFailure", "Never", "ExitCode"};
    if (!kPolicies.count(out.restart_policy))
      return InvalidArgument(path + ".restartPolicy",
                             "must be Always, OnFailure, Never or ExitCode");
  }
  if (!spec.contains("template")) return InvalidArgument(path + ".template", "is required");
  const std::string tp = path + ".template";
  CORRAL_RETURN_IF_ERROR(reader.Keys(spec["template"], tp, {"spec"}, {"metadata"}));
  if (!spec["template"].contains("spec")) return InvalidArgument(tp + ".spec", "is required");
  const json& pod = spec["template"]["spec"];
  const std::string pp = tp + ".spec";
  CORRAL_RETURN_IF_ERROR(reader.Keys(pod, pp, {"containers"}, kIgnoredPodSpec));
  if (!pod.contains("containers") || !pod["containers"].is_array() || pod["containers"].empty())
    return InvalidArgument(pp + ".containers", "needs one container");
  if (pod["containers"].size() > 1)
    return InvalidArgument(pp + ".containers[1]",
                           "a replica runs one process tree: sidecar containers are not supported");
  const json& c = pod["containers"][0];
  const std::string cp = pp + ".containers[0]";
  out.container_path = cp;
  CORRAL_RETURN_IF_ERROR(
      reader.Keys(c, cp, {"command", "args", "env", "resources", "workingDir"}, kIgnoredContainer));
  for (const char* key : {"command", "args"}) {
    if (!c.contains(key)) continue;
    if (!c[key].is_array()) return InvalidArgument(cp + "." + key, "must be a list of strings");
    for (size_t i = 0; i < c[key].size(); ++i) {
      CORRAL_ASSIGN_OR_RETURN(std::string arg,
                              String(c[key][i], cp + "." + key + "[" + std::to_string(i) + "]"));
      out.command.push_back(arg);
    }
  }
  if (out.command.empty())
    return InvalidArgument(cp + ".command",
                           "is required (Corral runs no image: the command runs on the node)");
  if (c.contains("env")) {
    if (!c["env"].is_array()) return InvalidArgument(cp + ".env", "must be a list");
    for (size_t i = 0; i < c["env"].size(); ++i) {
      const std::string ep = cp + ".env[" + std::to_string(i) + "]";
      const json& e = c["env"][i];
      if (e.is_object() && e.contains("valueFrom"))
        return InvalidArgument(ep + ".valueFrom",
                               "is not supported (Kubernetes secrets and field references)");
      CORRAL_RETURN_IF_ERROR(reader.Keys(e, ep, {"name", "value"}));
      if (!e.contains("name")) return InvalidArgument(ep + ".name", "is required");
      CORRAL_ASSIGN_OR_RETURN(std::string name, String(e["name"], ep + ".name"));
      std::string value;
      if (e.contains("value")) {
        CORRAL_ASSIGN_OR_RETURN(value, String(e["value"], ep + ".value"));
      }
      out.env[name] = value;
    }
  }
  if (c.contains("workingDir")) {
    CORRAL_ASSIGN_OR_RETURN(out.workdir, String(c["workingDir"], cp + ".workingDir"));
  }
  if (c.contains("resources")) {
    const std::string rp = cp + ".resources";
    CORRAL_RETURN_IF_ERROR(reader.Keys(c["resources"], rp, {"limits", "requests"}, {"claims"}));
    // Limits are what a replica gets; requests only where no limit says otherwise.
    for (const char* part : {"requests", "limits"}) {
      if (!c["resources"].contains(part)) continue;
      const json& r = c["resources"][part];
      const std::string lp = rp + "." + part;
      CORRAL_RETURN_IF_ERROR(reader.Keys(r, lp, {"nvidia.com/gpu", "cpu", "memory"},
                                         {"ephemeral-storage", "hugepages-2Mi", "hugepages-1Gi"}));
      if (r.contains("nvidia.com/gpu")) {
        const json& g = r["nvidia.com/gpu"];
        const std::string gp = lp + ".nvidia.com/gpu";
        if (g.is_string()) {
          try {
            size_t used = 0;
            int n = std::stoi(g.get<std::string>(), &used);
            if (used != g.get<std::string>().size() || n < 0) throw 0;
            out.gpus = n;
          } catch (...) {
            return InvalidArgument(gp, "must be a whole number of GPUs");
          }
        } else {
          CORRAL_ASSIGN_OR_RETURN(int64_t n, Integer(g, gp, 0, 1024));
          out.gpus = static_cast<int>(n);
        }
      }
      if (r.contains("cpu")) {
        CORRAL_ASSIGN_OR_RETURN(out.cpus, Cpus(r["cpu"], lp + ".cpu"));
      }
      if (r.contains("memory")) {
        CORRAL_ASSIGN_OR_RETURN(out.memory_mb, MemoryMb(r["memory"], lp + ".memory"));
      }
    }
  }
  return out;
}

}  // namespace

bool IsPyTorchJob(const json& body) {
  return body.is_object() && body.contains("kind") && body["kind"] == "PyTorchJob";
}

Result<TrainingJob> FromPyTorchJob(const json& body) {
  TrainingJob out;
  Reader reader(out.warnings);
  CORRAL_RETURN_IF_ERROR(RefuseNulBytes(body, ""));
  CORRAL_RETURN_IF_ERROR(
      reader.Keys(body, "", {"apiVersion", "kind", "metadata", "spec"}, {"status"}));
  if (body.contains("apiVersion")) {
    CORRAL_ASSIGN_OR_RETURN(std::string v, String(body["apiVersion"], "apiVersion"));
    if (v != "kubeflow.org/v1")
      return InvalidArgument("apiVersion", "must be kubeflow.org/v1 (got '" + v + "')");
  }
  json job = json::object();
  if (body.contains("metadata")) {
    const json& m = body["metadata"];
    CORRAL_RETURN_IF_ERROR(reader.Keys(m, "metadata", {"name", "labels"}, kIgnoredMetadata));
    if (m.contains("name")) {
      CORRAL_ASSIGN_OR_RETURN(std::string name, String(m["name"], "metadata.name"));
      job["name"] = name;
    }
    if (m.contains("labels")) job["labels"] = m["labels"];
  }
  if (!body.contains("spec")) return InvalidArgument("spec", "is required");
  const json& spec = body["spec"];
  CORRAL_RETURN_IF_ERROR(reader.Keys(
      spec, "spec", {"pytorchReplicaSpecs", "runPolicy", "elasticPolicy", "nprocPerNode"}));
  if (!spec.contains("pytorchReplicaSpecs"))
    return InvalidArgument("spec.pytorchReplicaSpecs", "is required");
  const json& specs = spec["pytorchReplicaSpecs"];
  CORRAL_RETURN_IF_ERROR(reader.Keys(specs, "spec.pytorchReplicaSpecs", {"Master", "Worker"}));

  std::vector<std::pair<std::string, ReplicaSpec>> parts;
  for (const char* type : {"Master", "Worker"}) {
    if (!specs.contains(type)) continue;
    const std::string path = std::string("spec.pytorchReplicaSpecs.") + type;
    CORRAL_ASSIGN_OR_RETURN(ReplicaSpec r, ReadReplicaSpec(specs[type], path, reader));
    if (std::string(type) == "Master" && r.replicas > 1)
      return InvalidArgument(path + ".replicas", "a PyTorchJob has at most one Master");
    parts.emplace_back(path, std::move(r));
  }
  if (parts.empty())
    return InvalidArgument("spec.pytorchReplicaSpecs", "needs a Master or a Worker");
  // One gang of identical replicas: every replica type must run the same thing.
  const ReplicaSpec& first = parts.front().second;
  out.container_path = first.container_path;
  int64_t replicas = 0;
  std::string restart_policy = first.restart_policy;
  for (auto& [path, r] : parts) {
    replicas += r.replicas;
    const std::string cp = path + ".template.spec.containers[0]";
    if (r.command != first.command)
      return InvalidArgument(cp + ".command", "must be the same as " + parts.front().first + "'s");
    if (r.gpus != first.gpus || r.cpus != first.cpus || r.memory_mb != first.memory_mb)
      return InvalidArgument(cp + ".resources",
                             "must be the same as " + parts.front().first + "'s");
    if (r.env != first.env)
      return InvalidArgument(cp + ".env", "must be the same as " + parts.front().first + "'s");
    if (r.workdir != first.workdir)
      return InvalidArgument(cp + ".workingDir",
                             "must be the same as " + parts.front().first + "'s");
    if (!r.restart_policy.empty() && r.restart_policy != restart_policy) {
      if (!restart_policy.empty())
        return InvalidArgument(path + ".restartPolicy",
                               "must be the same as " + parts.front().first + "'s");
      restart_policy = r.restart_policy;
    }
  }
  if (replicas < 1)
    return InvalidArgument("spec.pytorchReplicaSpecs", "has no replica (replicas: 0 everywhere)");

  job["command"] = first.command;
  job["replicas"] = replicas;
  json resources = json::object();
  resources["gpus"] = first.gpus;
  if (first.cpus > 0) resources["cpus"] = first.cpus;
  if (first.memory_mb > 0) resources["memory_mb"] = first.memory_mb;
  job["resources"] = resources;
  json env = first.env;
  if (!first.workdir.empty()) job["workdir"] = first.workdir;

  int64_t backoff = 3;  // Kubeflow's default backoffLimit is unset; three retries is Corral's
  json retry = json::object();
  if (spec.contains("runPolicy")) {
    const json& rp = spec["runPolicy"];
    CORRAL_RETURN_IF_ERROR(reader.Keys(
        rp, "spec.runPolicy", {"backoffLimit", "activeDeadlineSeconds", "schedulingPolicy"},
        kIgnoredRunPolicy));
    if (rp.contains("backoffLimit")) {
      CORRAL_ASSIGN_OR_RETURN(backoff,
                              Integer(rp["backoffLimit"], "spec.runPolicy.backoffLimit", 0, 100));
    }
    if (rp.contains("activeDeadlineSeconds")) {
      CORRAL_ASSIGN_OR_RETURN(
          int64_t s, Integer(rp["activeDeadlineSeconds"], "spec.runPolicy.activeDeadlineSeconds", 1,
                             int64_t{366} * 86400));
      job["time_limit_s"] = s;
    }
    if (rp.contains("schedulingPolicy")) {
      const json& sp = rp["schedulingPolicy"];
      const std::string spp = "spec.runPolicy.schedulingPolicy";
      CORRAL_RETURN_IF_ERROR(
          reader.Keys(sp, spp, {"queue", "priorityClass"},
                      {"minAvailable", "minResources", "scheduleTimeoutSeconds"}));
      if (sp.contains("queue")) job["queue"] = sp["queue"];
      if (sp.contains("priorityClass")) job["priority"] = sp["priorityClass"];
    }
  }
  // Never: no retry. OnFailure / Always / ExitCode: the whole gang restarts, at most backoffLimit
  // times; ExitCode restarts only on codes 128-255 (signals, treated as retryable by Kubeflow).
  retry["max_retries"] = restart_policy == "Never" ? 0 : backoff;
  if (restart_policy == "ExitCode") retry["exit_codes"] = "128-255";
  job["retry"] = retry;

  if (spec.contains("nprocPerNode")) {
    const json& n = spec["nprocPerNode"];
    if (n.is_string())
      env["PET_NPROC_PER_NODE"] = n.get<std::string>();
    else {
      CORRAL_ASSIGN_OR_RETURN(int64_t v, Integer(n, "spec.nprocPerNode", 1, 1024));
      env["PET_NPROC_PER_NODE"] = std::to_string(v);
    }
  }
  if (spec.contains("elasticPolicy")) {
    const json& ep = spec["elasticPolicy"];
    const std::string epp = "spec.elasticPolicy";
    CORRAL_RETURN_IF_ERROR(reader.Keys(ep, epp,
                                       {"minReplicas", "maxReplicas", "rdzvBackend", "rdzvPort",
                                        "rdzvHost", "rdzvId", "nProcPerNode", "maxRestarts"},
                                       {"metrics", "rdzvConf"}));
    int64_t min = replicas, max = replicas;
    if (ep.contains("minReplicas")) {
      CORRAL_ASSIGN_OR_RETURN(min, Integer(ep["minReplicas"], epp + ".minReplicas", 1, 1024));
    }
    if (ep.contains("maxReplicas")) {
      CORRAL_ASSIGN_OR_RETURN(max, Integer(ep["maxReplicas"], epp + ".maxReplicas", 1, 1024));
    }
    if (min > max) return InvalidArgument(epp + ".minReplicas", "is above maxReplicas");
    if (max > replicas)
      return InvalidArgument(epp + ".maxReplicas",
                             "is above the replicas asked for (" + std::to_string(replicas) +
                                 "): Corral starts the gang at its full size");
    env["PET_NNODES"] = std::to_string(min) + ":" + std::to_string(max);
    std::string backend = "c10d";
    if (ep.contains("rdzvBackend")) {
      CORRAL_ASSIGN_OR_RETURN(backend, String(ep["rdzvBackend"], epp + ".rdzvBackend"));
    }
    env["PET_RDZV_BACKEND"] = backend;
    if (ep.contains("rdzvId")) {
      CORRAL_ASSIGN_OR_RETURN(std::string id, String(ep["rdzvId"], epp + ".rdzvId"));
      env["PET_RDZV_ID"] = id;
    } else {
      env["PET_RDZV_ID"] = job.value("name", std::string("corral"));
    }
    if (ep.contains("rdzvHost") || ep.contains("rdzvPort")) {
      // The rendezvous runs on rank 0's node at the attempt's port unless both are given.
      if (!ep.contains("rdzvHost") || !ep.contains("rdzvPort"))
        return InvalidArgument(epp + (ep.contains("rdzvHost") ? ".rdzvPort" : ".rdzvHost"),
                               "rdzvHost and rdzvPort go together");
      CORRAL_ASSIGN_OR_RETURN(std::string host, String(ep["rdzvHost"], epp + ".rdzvHost"));
      CORRAL_ASSIGN_OR_RETURN(int64_t port, Integer(ep["rdzvPort"], epp + ".rdzvPort", 1, 65535));
      env["PET_RDZV_ENDPOINT"] = host + ":" + std::to_string(port);
    } else {
      // Rank 0's address is known only at launch: the replica completes the endpoint itself.
      json wrapped = json::array({"/bin/sh", "-c",
                                  "PET_RDZV_ENDPOINT=\"$MASTER_ADDR:$MASTER_PORT\"; export "
                                  "PET_RDZV_ENDPOINT; exec \"$@\"",
                                  "corral-rdzv"});
      for (auto& a : job["command"]) wrapped.push_back(a);
      job["command"] = wrapped;
    }
    if (ep.contains("nProcPerNode")) {
      CORRAL_ASSIGN_OR_RETURN(int64_t n,
                              Integer(ep["nProcPerNode"], epp + ".nProcPerNode", 1, 1024));
      env["PET_NPROC_PER_NODE"] = std::to_string(n);
    }
    if (ep.contains("maxRestarts")) {
      CORRAL_ASSIGN_OR_RETURN(int64_t n, Integer(ep["maxRestarts"], epp + ".maxRestarts", 0, 1000));
      env["PET_MAX_RESTARTS"] = std::to_string(n);
    }
  }
  if (!env.empty()) job["env"] = env;
  json labels = job.value("labels", json::object());
  if (labels.is_object()) {
    labels["corral.kind"] = "PyTorchJob";
    job["labels"] = labels;
  }
  out.job = std::move(job);
  return out;
}

Status TrainingJob::AtPyTorchJobField(const Status& job_error) const {
  const std::string& f = job_error.field();
  auto under = [&](const std::string& prefix) {
    return f == prefix || f.rfind(prefix + ".", 0) == 0 || f.rfind(prefix + "[", 0) == 0;
  };
  std::string origin;
  if (under("name") || under("labels")) {
    origin = "metadata." + f;
  } else if (under("queue")) {
    origin = "spec.runPolicy.schedulingPolicy.queue";
  } else if (under("priority")) {
    origin = "spec.runPolicy.schedulingPolicy.priorityClass";
  } else if (under("time_limit_s")) {
    origin = "spec.runPolicy.activeDeadlineSeconds";
  } else if (under("workdir") && !container_path.empty()) {
    origin = container_path + ".workingDir";
  } else if (under("env") && !container_path.empty()) {
    origin = container_path + ".env";
  } else if (under("command") && !container_path.empty()) {
    origin = container_path + ".command";
  } else {
    return job_error;
  }
  return Status(job_error.code(), job_error.message(), origin);
}

}  // namespace corral::train
