#pragma once

#include <deque>
#include <string>
#include <vector>

#include "cli/http_client.h"

namespace corral::cli::testing {

// Replays canned replies in order and records every request, so tests can check both what the
// client sent and how it handled what came back. A streamed reply is delivered in `chunks`.
class FakeHttpClient final : public HttpClient {
 public:
  struct Reply {
    Result<HttpResponse> response = HttpResponse{};
    std::vector<std::string> chunks;  // for Stream: body pieces handed to the callback
  };

  void Push(int status, std::string body, std::string content_type = "application/json") {
    replies_.push_back(Reply{HttpResponse{status, std::move(content_type), std::move(body)}, {}});
  }
  void PushStream(std::vector<std::string> chunks) {
    replies_.push_back(Reply{HttpResponse{200, "text/event-stream", ""}, std::move(chunks)});
  }
  void PushUnreachable(std::string reason) {
    replies_.push_back(Reply{Status(StatusCode::kUnavailable, std::move(reason)), {}});
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    return Next();
  }

  Result<HttpResponse> Stream(const HttpRequest& request,
                              const BodyChunkCallback& on_chunk) override {
    requests.push_back(request);
    if (replies_.empty()) return Status(StatusCode::kInternal, "no canned reply left");
    Reply reply = std::move(replies_.front());
    replies_.pop_front();
    if (reply.response.ok() && reply.response->status == 200) {
      for (const auto& chunk : reply.chunks) {
        ++chunks_delivered;
        if (!on_chunk(chunk)) break;
      }
    }
    return std::move(reply.response);
  }

  std::string Header(size_t request_index, const std::string& name) const {
    for (const auto& [key, value] : requests.at(request_index).headers) {
      if (key == name) return value;
    }
    return "";
  }

  std::vector<HttpRequest> requests;
  int chunks_delivered = 0;
  size_t replies_left() const { return replies_.size(); }

 private:
  Result<HttpResponse> Next() {
    if (replies_.empty()) return Status(StatusCode::kInternal, "no canned reply left");
    Reply reply = std::move(replies_.front());
    replies_.pop_front();
    return std::move(reply.response);
  }

  std::deque<Reply> replies_;
};

}  // namespace corral::cli::testing
