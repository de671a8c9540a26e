// Load generator for the HTTP layer of a running `corral server` (see run.sh). One scenario per
// run, one JSON line on stdout:
//   baseline   legitimate authenticated GETs, nothing else
//   idle       the same beside N idle connections (reopened whenever the server closes one)
//   slowloris  the same beside N sockets trickling a request head one byte at a time
//   mixed      open-loop load at a target rate: GETs plus job submissions (jobs start and exit
//              constantly); every non-2xx or connection error on a valid request is a failure
#include <utility>  // before Asio: see NOTES (g++ 12 + Boost 1.74)

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using net::awaitable;
using net::use_awaitable;

struct Config {
  std::string host = "127.0.0.1";
  std::string port;
  std::string token;
  std::string scenario = "baseline";
  double duration_s = 10;
  double rate = 1000;
  int connections = 64;
  int background = 2000;
  double submit_share = 0.1;
  std::string job_command = "true";
};

struct Stats {
  std::vector<double> latencies_ms;
  int64_t ok = 0;
  int64_t failed = 0;
  std::map<std::string, int64_t> failures;  // what went wrong, for the report
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Kind {
  std::string name;
  http::verb method;
  std::string target;
  std::string body;
};

class Bench {
 public:
  explicit Bench(Config c) : cfg_(std::move(c)) {
    tcp::resolver resolver(io_);
    endpoints_ = resolver.resolve(cfg_.host, cfg_.port);
    kinds_ = {{"list_jobs", http::verb::get, "/api/v1/jobs?limit=10", ""},
              {"whoami", http::verb::get, "/api/v1/whoami", ""},
              {"submit", http::verb::post, "/api/v1/jobs",
               nlohmann::json({{"command", {"sh", "-c", cfg_.job_command}}}).dump()}};
  }

  nlohmann::json Run() {
    auto start = Clock::now();
    end_ = start + std::chrono::milliseconds(static_cast<int64_t>(cfg_.duration_s * 1000));
    if (cfg_.scenario == "idle") {
      for (int i = 0; i < cfg_.background; ++i) net::co_spawn(io_, Idle(), net::detached);
    } else if (cfg_.scenario == "slowloris") {
      for (int i = 0; i < cfg_.background; ++i) net::co_spawn(io_, Trickle(i), net::detached);
    }
    if (cfg_.scenario == "mixed") {
      for (int i = 0; i < cfg_.connections; ++i) {
        net::co_spawn(io_, Client(i, cfg_.rate / cfg_.connections, true), net::detached);
      }
    } else {
      // Background load gets a moment to settle before latency is measured.
      warmup_ = cfg_.scenario == "baseline" ? std::chrono::seconds(0) : std::chrono::seconds(2);
      for (int i = 0; i < 4; ++i) {
        net::co_spawn(io_, Client(i, cfg_.rate / 4, false), net::detached);
      }
    }
    net::steady_timer stop(io_, end_ + std::chrono::seconds(5));
    stop.async_wait([this](auto) { io_.stop(); });
    io_.run();
    double secs = std::chrono::duration<double>(measured_end_ - measured_start_).count();
    nlohmann::json out = {
        {"scenario", cfg_.scenario},
        {"duration_s", secs},
        {"background",
         cfg_.scenario == "idle" || cfg_.scenario == "slowloris" ? cfg_.background : 0},
        {"background_reopened", reopened_},
        {"target_rate", cfg_.rate}};
    int64_t total = 0, failed = 0;
    for (auto& [name, s] : stats_) {
      total += s.ok + s.failed;
      failed += s.failed;
      out["types"][name] = {{"ok", s.ok},
                            {"failed", s.failed},
                            {"failures", s.failures},
                            {"p50_ms", Percentile(s.latencies_ms, 0.5)},
                            {"p99_ms", Percentile(s.latencies_ms, 0.99)}};
    }
    std::vector<double> all;
    for (auto& [name, s] : stats_) {
      all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    }
    out["total"] = total;
    out["failed"] = failed;
    out["achieved_rate"] = secs > 0 ? static_cast<double>(total) / secs : 0;
    out["p50_ms"] = Percentile(all, 0.5);
    out["p99_ms"] = Percentile(all, 0.99);
    return out;
  }

 private:
  const Kind& Pick(int64_t n, bool mixed) {
    if (!mixed) return kinds_[n % 2];
    // Deterministic mix: submit_share of requests submit a job, the rest alternate GETs.
    int64_t every = cfg_.submit_share > 0 ? static_cast<int64_t>(1 / cfg_.submit_share) : 0;
    if (every > 0 && n % every == every - 1) return kinds_[2];
    return kinds_[n % 2];
  }

  void Record(const std::string& kind, bool ok, double ms, const std::string& why) {
    auto& s = stats_[kind];
    if (ok) {
      ++s.ok;
      s.latencies_ms.push_back(ms);
    } else {
      ++s.failed;
      ++s.failures[why];
    }
  }

  // A keep-alive connection sending requests on a fixed schedule (open loop: a late answer does
  // not postpone the schedule, the next request goes out at once).
  awaitable<void> Client(int index, double rate, bool mixed) {
    auto interval = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / std::max(rate, 0.001)));
    net::steady_timer timer(io_);
    auto start = Clock::now() + warmup_;
    if (index == 0) measured_start_ = start;
    // Spread the connections' schedules over one interval.
    auto next = start + interval * index / std::max(1, cfg_.connections);
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    int64_t n = index;
    while (next < end_) {
      timer.expires_at(next);
      co_await timer.async_wait(use_awaitable);
      next += interval;
      const Kind& kind = Pick(n++, mixed);
      http::request<http::string_body> req{kind.method, kind.target, 11};
      req.set(http::field::host, cfg_.host);
      req.set(http::field::authorization, "Bearer " + cfg_.token);
      if (!kind.body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = kind.body;
      }
      req.prepare_payload();
      auto t0 = Clock::now();
      std::string why;
      int status = 0;
      try {
        if (!stream) {
          stream.emplace(io_);
          buffer.clear();
          co_await stream->async_connect(endpoints_, use_awaitable);
          stream->socket().set_option(tcp::no_delay(true));
        }
        stream->expires_after(std::chrono::seconds(30));
        co_await http::async_write(*stream, req, use_awaitable);
        http::response<http::string_body> res;
        co_await http::async_read(*stream, buffer, res, use_awaitable);
        status = res.result_int();
        if (status < 200 || status > 299) why = "HTTP " + std::to_string(status);
        if (!res.keep_alive()) stream.reset();
      } catch (const boost::system::system_error& e) {
        why = e.code().message();
        stream.reset();
      }
      auto t1 = Clock::now();
      if (t0 < start) continue;
      measured_end_ = std::max(measured_end_, t1);
      Record(kind.name, why.empty(), std::chrono::duration<double, std::milli>(t1 - t0).count(),
             why);
    }
  }

  // Connects and sends nothing; when the server closes it, connects again.
  awaitable<void> Idle() {
    while (Clock::now() < end_) {
      tcp::socket s(io_);
      try {
        co_await net::async_connect(s, endpoints_, use_awaitable);
        char byte;
        co_await s.async_read_some(net::buffer(&byte, 1), use_awaitable);
      } catch (const boost::system::system_error&) {
      }
      ++reopened_;
      net::steady_timer pause(io_, std::chrono::milliseconds(10));
      co_await pause.async_wait(use_awaitable);
    }
  }

  // Sends a request head one byte every 2 s, never finishing it; reconnects when closed.
  awaitable<void> Trickle(int index) {
    net::steady_timer timer(io_);
    while (Clock::now() < end_) {
      tcp::socket s(io_);
      try {
        co_await net::async_connect(s, endpoints_, use_awaitable);
        co_await net::async_write(s, net::buffer(std::string_view("GET /api/v1/jobs HTTP/1.1\r\n")),
                                  use_awaitable);
        // Stagger the sockets so that the trickle is spread over time.
        timer.expires_after(std::chrono::milliseconds(10 * (index % 200)));
        co_await timer.async_wait(use_awaitable);
        while (Clock::now() < end_) {
          co_await net::async_write(s, net::buffer(std::string_view("X")), use_awaitable);
          timer.expires_after(std::chrono::seconds(2));
          co_await timer.async_wait(use_awaitable);
        }
      } catch (const boost::system::system_error&) {
      }
      ++reopened_;
    }
  }

  Config cfg_;
  net::io_context io_{1};
  tcp::resolver::results_type endpoints_;
  std::vector<Kind> kinds_;
  std::map<std::string, Stats> stats_;
  Clock::time_point end_;
  Clock::time_point measured_start_{};
  Clock::time_point measured_end_{};
  std::chrono::seconds warmup_{0};
  int64_t reopened_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HTTP load generator for a running corral server"};
  Config cfg;
  std::string url;
  app.add_option("--url", url, "Server URL, http://host:port")->required();
  app.add_option("--token", cfg.token, "API token")->required();
  app.add_option("--scenario", cfg.scenario, "baseline, idle, slowloris or mixed")
      ->check(CLI::IsMember({"baseline", "idle", "slowloris", "mixed"}));
  app.add_option("--duration", cfg.duration_s, "Seconds of load")->capture_default_str();
  app.add_option("--rate", cfg.rate, "Requests per second (all connections together)")
      ->capture_default_str();
  app.add_option("--connections", cfg.connections, "Keep-alive connections for mixed load")
      ->capture_default_str();
  app.add_option("--background", cfg.background, "Idle or trickling sockets")
      ->capture_default_str();
  app.add_option("--submit-share", cfg.submit_share, "Share of mixed requests that submit a job")
      ->capture_default_str();
  app.add_option("--job-command", cfg.job_command, "Shell command of submitted jobs")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto rest = url.substr(url.find("//") + 2);
  cfg.host = rest.substr(0, rest.find(':'));
  cfg.port = rest.substr(rest.find(':') + 1);
  try {
    Bench bench(cfg);
    std::printf("%s\n", bench.Run().dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_http: %s\n", e.what());
    return 1;
  }
  return 0;
}
