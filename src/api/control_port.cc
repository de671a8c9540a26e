#include "api/control_port.h"

namespace corral::api {
namespace {

thread_local const char* current_task_name = nullptr;

}  // namespace

TaskNameScope::TaskNameScope(const char* name) : previous_(current_task_name) {
  current_task_name = name;
}

TaskNameScope::~TaskNameScope() { current_task_name = previous_; }

const char* CurrentTaskName() { return current_task_name ? current_task_name : "unnamed"; }

}  // namespace corral::api
