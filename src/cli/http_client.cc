#include "cli/http_client.h"

#include <curl/curl.h>
#include <fmt/core.h>

#include <cctype>
#include <cstring>

namespace corral::cli {

namespace {

constexpr long kConnectTimeoutSeconds = 10;
// A plain request that takes longer than this has a server that is stuck, not busy.
constexpr long kRequestTimeoutSeconds = 120;

struct Transfer {
  CURL* curl = nullptr;
  const BodyChunkCallback* on_chunk = nullptr;
  HttpResponse* response = nullptr;
  bool stopped_by_callback = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  std::string_view chunk(data, bytes);
  if (transfer->on_chunk != nullptr) {
    long status = 0;
    curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      if (!(*transfer->on_chunk)(chunk)) {
        transfer->stopped_by_callback = true;
        return 0;  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
      }
      return bytes;
    }
  }
  transfer->response->body.append(chunk);
  return bytes;
}

// A short reason a person can act on, in place of libcurl's generic wording where it helps.
std::string DescribeFailure(CURL* curl, CURLcode code, const char* error_buffer) {
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      if (os_errno != 0) return std::strerror(static_cast<int>(os_errno));
      return "connection failed";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "cannot resolve the host name";
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "not a valid http:// or https:// URL";
    default:
      break;
  }
  if (error_buffer[0] != '\0') return error_buffer;
  return curl_easy_strerror(code);
}

std::string Lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

CurlHttpClient::CurlHttpClient() : curl_(curl_easy_init()) {}

CurlHttpClient::~CurlHttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  return Perform(request, nullptr);
}

Result<HttpResponse> CurlHttpClient::Stream(const HttpRequest& request,
                                            const BodyChunkCallback& on_chunk) {
  return Perform(request, &on_chunk);
}

Result<HttpResponse> CurlHttpClient::Perform(const HttpRequest& request,
                                             const BodyChunkCallback* on_chunk) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Status(StatusCode::kInternal, "cannot initialise libcurl");
  // Reset clears options but keeps the connection cache, so keep-alive still applies.
  curl_easy_reset(curl);

  HttpResponse response;
  Transfer transfer{curl, on_chunk, &response, false};
  char error_buffer[CURL_ERROR_SIZE] = {0};

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, fmt::format("{}: {}", name, value).c_str());
  }
  // libcurl would otherwise send "Expect: 100-continue" for larger bodies and wait for it, and
  // label every POST as a form.
  headers = curl_slist_append(headers, "Expect:");
  bool has_content_type = false;
  for (const auto& header : request.headers) {
    has_content_type = has_content_type || Lowercase(header.first) == "content-type";
  }
  if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  // A log stream may stay silent for hours; only plain requests get an overall limit.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, on_chunk != nullptr ? 0L : kRequestTimeoutSeconds);
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.method != "GET" && request.method != "HEAD") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);

  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.stopped_by_callback)) {
    // A stream that the server closed mid-way after a 2xx still counts as a reply; the caller
    // sees that the stream ended without its closing event.
    bool reply_started =
        status != 0 && on_chunk != nullptr &&
        (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING);
    if (!reply_started) {
      return Status(StatusCode::kUnavailable, DescribeFailure(curl, code, error_buffer));
    }
  }
  response.status = static_cast<int>(status);
  char* content_type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr) response.content_type = Lowercase(content_type);
  return response;
}

}  // namespace corral::cli
