#pragma once

#include "api/control_port.h"
#include "api/event_hub.h"
#include "jobs/job_event.h"

namespace corral::api {

// Hands job events to the hub that feeds the event and log streams, each once it is committed:
// a stream must never show a client something a crash could unsay.
class DurableEventPublisher final : public jobs::JobObserver {
 public:
  DurableEventPublisher(ControlPort& control, EventHub& hub) : control_(control), hub_(hub) {}
  void OnJobEvent(const jobs::JobEvent& event) override;

 private:
  ControlPort& control_;
  EventHub& hub_;
};

}  // namespace corral::api
