// Submits many trivial jobs to a running server from several concurrent clients and reports
// accepted jobs/s, completed jobs/s and submit->process-start latency. Also seeds a store with
// finished jobs (to measure the server's memory with a long history) and measures the host's
// fork+exec floor, which bounds any executor that runs one process per job.
#include <curl/curl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct Http {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  std::string base;
  Http(const std::string& url, const std::string& token) : base(url) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  }
  ~Http() {
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
  }
  long Do(const std::string& method, const std::string& path, const std::string& body,
          std::string* out) {
    out->clear();
    curl_easy_setopt(curl, CURLOPT_URL, (base + path).c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    if (method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    } else {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    if (curl_easy_perform(curl) != CURLE_OK) return -1;
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int64_t ParseTimeMs(const std::string& s) {
  // "2026-11-28T13:56:50.123Z"
  struct tm tm {};
  int ms = 0;
  if (sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

int Submit(int argc, char** argv) {
  std::string url, token;
  int jobs = 10000, clients = 8;
  double rate = 0;  // jobs/s across all clients; 0: as fast as the server answers
  std::string tag = "submit";  // label bench=<tag>, so that phases are measured apart
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--rate") rate = std::stod(argv[i + 1]);
    if (k == "--tag") tag = argv[i + 1];
    if (k == "--url") url = argv[i + 1];
    if (k == "--token") token = argv[i + 1];
    if (k == "--jobs") jobs = std::stoi(argv[i + 1]);
    if (k == "--clients") clients = std::stoi(argv[i + 1]);
  }
  const std::string body =
      R"({"command":["true"],"resources":{"gpus":1},"labels":{"bench":")" + tag + R"("}})";
  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<int64_t> ids;
  std::vector<double> ack_ms;
  std::atomic<int> errors{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      Http http(url, token);
      std::string out;
      std::vector<int64_t> mine;
      std::vector<double> lat;
      int n;
      while ((n = next.fetch_add(1)) < jobs) {
        if (rate > 0) std::this_thread::sleep_until(t0 + std::chrono::duration<double>(n / rate));
        auto s = Clock::now();
        long code = http.Do("POST", "/api/v1/jobs", body, &out);
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        if (code != 201) {
          if (errors.fetch_add(1) < 3)
            fprintf(stderr, "submit failed: HTTP %ld: %s\n", code, out.substr(0, 300).c_str());
          continue;
        }
        mine.push_back(json::parse(out)["id"].get<int64_t>());
      }
      std::lock_guard lock(mu);
      ids.insert(ids.end(), mine.begin(), mine.end());
      ack_ms.insert(ack_ms.end(), lat.begin(), lat.end());
    });
  }
  for (auto& t : threads) t.join();
  double submit_s = std::chrono::duration<double>(Clock::now() - t0).count();

  // Completion: poll the count of unfinished bench jobs.
  Http http(url, token);
  std::string out;
  for (;;) {
    long code = http.Do("GET", "/api/v1/jobs?label=bench=" + tag + "&state=pending,starting,running&limit=1", "", &out);
    if (code == 200 && json::parse(out)["jobs"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double total_s = std::chrono::duration<double>(Clock::now() - t0).count();

  // Latency submit -> process start, from the recorded times.
  std::vector<double> start_ms;
  int failed = 0;
  std::string cursor;
  for (;;) {
    std::string path = "/api/v1/jobs?label=bench=" + tag + "&limit=1000" +
                       (cursor.empty() ? std::string() : "&cursor=" + cursor);
    if (http.Do("GET", path, "", &out) != 200) break;
    json page = json::parse(out);
    for (auto& j : page["jobs"]) {
      if (j["state"] != "succeeded") ++failed;
      if (j["attempts"].empty()) continue;
      auto& r = j["attempts"][0]["replicas"][0];
      if (!r["started_at"].is_string()) continue;
      start_ms.push_back(static_cast<double>(ParseTimeMs(r["started_at"]) -
                                             ParseTimeMs(j["submitted_at"])));
    }
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"].get<std::string>();
  }
  json result = {{"jobs", jobs},
                 {"clients", clients},
                 {"accepted", ids.size()},
                 {"submit_errors", errors.load()},
                 {"not_succeeded", failed},
                 {"submit_seconds", submit_s},
                 {"accepted_per_s", static_cast<double>(ids.size()) / submit_s},
                 {"completed_per_s", static_cast<double>(ids.size()) / total_s},
                 {"ack_p50_ms", Percentile(ack_ms, 0.5)},
                 {"ack_p99_ms", Percentile(ack_ms, 0.99)},
                 {"start_p50_ms", Percentile(start_ms, 0.5)},
                 {"start_p99_ms", Percentile(start_ms, 0.99)}};
  printf("%s\n", result.dump().c_str());
  return 0;
}

// Appends finished jobs to a store, as a long-running server's history would hold them.
int SeedHistory(int argc, char** argv) {
  std::string db;
  int jobs = 100000;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--db") db = argv[i + 1];
    if (k == "--jobs") jobs = std::stoi(argv[i + 1]);
  }
  auto store = corral::store::OpenSqliteStore(db);
  if (!store.ok()) {
    fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  auto users = (*store)->ListUsers();
  if (!users.ok() || users->empty()) {
    fprintf(stderr, "no users in %s\n", db.c_str());
    return 1;
  }
  const corral::User& owner = users->front();
  auto now = corral::SystemClock().Now();
  for (int i = 0; i < jobs; ++i) {
    corral::Job job;
    job.owner = owner.id;
    job.owner_name = owner.name;
    job.spec.command = {"python3", "train.py", "--seed", std::to_string(i)};
    job.spec.resources.gpus = 1;
    job.spec.labels["bench"] = "history";
    job.submitted_at = now;
    job.state = corral::JobState::kSucceeded;
    job.ended_at = now;
    corral::Attempt a;
    a.started_at = now;
    a.ended_at = now;
    a.exit_code = 0;
    a.end_reason = "exited";
    corral::ReplicaRun r;
    r.placement = {"sim-0", {0}};
    r.state = corral::ReplicaState::kExited;
    r.exit_code = 0;
    r.started_at = now;
    r.ended_at = now;
    a.replicas.push_back(r);
    job.attempts.push_back(a);
    if (auto s = (*store)->InsertJob(job); !s.ok()) {
      fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    if (i % 1000 == 999) {
      if (auto s = (*store)->Flush(); !s.ok()) return 1;
    }
  }
  return (*store)->Flush().ok() ? 0 : 1;
}

// posix_spawn + wait of /bin/true, one at a time on each of `threads` threads: the host's cost of
// starting a process, which bounds any executor that starts at least one per job.
int SpawnFloor(int argc, char** argv) {
  int n = 1000, threads = 2;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--n") n = std::stoi(argv[i + 1]);
    if (k == "--threads") threads = std::stoi(argv[i + 1]);
  }
  std::atomic<int> next{0};
  auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      char arg0[] = "/bin/true";
      char* args[] = {arg0, nullptr};
      while (next.fetch_add(1) < n) {
        pid_t pid;
        if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, args, environ) == 0) {
          int st;
          waitpid(pid, &st, 0);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  printf("%s\n", json({{"spawns", n}, {"threads", threads}, {"per_s", n / s}}).dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "submit") return Submit(argc, argv);
  if (mode == "seed-history") return SeedHistory(argc, argv);
  if (mode == "spawn-floor") return SpawnFloor(argc, argv);
  fprintf(stderr,
          "usage: bench_submit submit --url U --token T [--jobs N] [--clients C]\n"
          "       bench_submit seed-history --db PATH [--jobs N]\n"
          "       bench_submit spawn-floor [--n N] [--threads T]\n");
  return 2;
}
