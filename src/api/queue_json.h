#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "common/result.h"
#include "jobs/job_controller.h"
#include "sched/types.h"

namespace corral::api {

// The store setting that holds the queue configuration (QueueConfigsToJson's form).
inline constexpr const char* kQueuesSetting = "queues";

// {"queues": [{"name", "guaranteed_gpus", "max_gpus", "weight"}]}; errors name the field.
Result<std::vector<sched::QueueConfig>> ParseQueues(const nlohmann::json& body);
nlohmann::json QueueConfigsToJson(const std::vector<sched::QueueConfig>& queues);
nlohmann::json QueueViewsToJson(const std::vector<jobs::QueueView>& queues);

}  // namespace corral::api
