#include "api/durable_event_publisher.h"

namespace corral::api {

void DurableEventPublisher::OnJobEvent(const jobs::JobEvent& event) {
  store::StoredEvent stored;
  stored.seq = event.seq;
  stored.time = event.time;
  stored.job = event.job;
  stored.owner = event.owner;
  stored.type = std::string(jobs::JobEventKindName(event.kind));
  stored.message = event.reason;
  control_.AfterCommit([this, stored = std::move(stored)](Status committed) {
    if (committed.ok()) hub_.Publish(stored);
  });
}

}  // namespace corral::api
