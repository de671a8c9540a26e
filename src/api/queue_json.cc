#include "api/queue_json.h"

#include "api/json_reader.h"
#include "model/field_rules.h"

namespace corral::api {

using nlohmann::json;

Result<std::vector<sched::QueueConfig>> ParseQueues(const json& body) {
  JsonObjectReader top(body, "");
  CORRAL_RETURN_IF_ERROR(top.Check({"queues"}));
  if (!top.Has("queues") || !top.At("queues").is_array())
    return InvalidArgument("queues", "must be an array of queues");
  std::vector<sched::QueueConfig> out;
  const json& arr = top.At("queues");
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string path = "queues[" + std::to_string(i) + "]";
    JsonObjectReader r(arr[i], path);
    CORRAL_RETURN_IF_ERROR(r.Check({"name", "guaranteed_gpus", "max_gpus", "weight"}));
    sched::QueueConfig q;
    CORRAL_ASSIGN_OR_RETURN(auto name, r.String("name"));
    if (!name) return InvalidArgument(path + ".name", "is required");
    CORRAL_RETURN_IF_ERROR(rules::CheckName(path + ".name", *name));
    q.name = *name;
    CORRAL_ASSIGN_OR_RETURN(auto guaranteed, r.Int("guaranteed_gpus", 0, 1 << 20));
    CORRAL_ASSIGN_OR_RETURN(auto max, r.Int("max_gpus", -1, 1 << 20));
    CORRAL_ASSIGN_OR_RETURN(auto weight, r.Number("weight", 1e-6, 1e6));
    if (guaranteed) q.guaranteed_gpus = static_cast<int>(*guaranteed);
    if (max) q.max_gpus = static_cast<int>(*max);
    if (weight) q.weight = *weight;
    if (q.max_gpus >= 0 && q.max_gpus < q.guaranteed_gpus)
      return InvalidArgument(path + ".max_gpus", "must be -1 (no limit) or >= guaranteed_gpus");
    for (auto& other : out)
      if (other.name == q.name) return InvalidArgument(path + ".name", "queue listed twice");
    out.push_back(q);
  }
  return out;
}

json QueueConfigsToJson(const std::vector<sched::QueueConfig>& queues) {
  json arr = json::array();
  for (auto& q : queues) {
    arr.push_back({{"name", q.name},
                   {"guaranteed_gpus", q.guaranteed_gpus},
                   {"max_gpus", q.max_gpus},
                   {"weight", q.weight}});
  }
  return {{"queues", arr}};
}

json QueueViewsToJson(const std::vector<jobs::QueueView>& queues) {
  json arr = json::array();
  for (auto& v : queues) {
    arr.push_back({{"name", v.config.name},
                   {"configured", v.configured},
                   {"guaranteed_gpus", v.config.guaranteed_gpus},
                   {"max_gpus", v.config.max_gpus},
                   {"weight", v.config.weight},
                   {"gpus_in_use", v.gpus_in_use},
                   {"borrowed_gpus", std::max(0, v.gpus_in_use - v.config.guaranteed_gpus)},
                   {"running_jobs", v.running_jobs},
                   {"pending_jobs", v.pending_jobs}});
  }
  return {{"queues", arr}};
}

}  // namespace corral::api
