#include "cli/workflow_command.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_json.h"
#include "cli/output_format.h"
#include "cli/table.h"
#include "cli/time_format.h"
#include "cli/workflow_view.h"

extern char** environ;

namespace corral::cli {

using nlohmann::json;

namespace {

// A spec ready to send: JSON (a Python pipeline's output, or a file changed by -p) or a file's
// text as written.
struct SpecDocument {
  std::string body;
  std::string content_type;
  std::string kind;  // "Workflow", "WorkflowTemplate", ... ("" when sent as written)
};

bool Structured(const CommandContext& ctx, const json& value) {
  if (ctx.format == OutputFormat::kJson) {
    PrintJson(ctx.out, value);
    return true;
  }
  if (ctx.format == OutputFormat::kYaml) {
    ctx.out << JsonToYaml(value);
    return true;
  }
  return false;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Result<std::string> ReadFile(const std::string& path, std::istream& in) {
  std::stringstream text;
  if (path == "-") {
    text << in.rdbuf();
    return text.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return InvalidArgument("file", fmt::format("cannot read {}", path));
  text << file.rdbuf();
  return text.str();
}

struct ProcessResult {
  int exit_status = 0;
  std::string out;
};

// Runs argv with `env` added to this process's environment, stdout captured, stderr passed
// through (so the pipeline's own errors reach the user).
Result<ProcessResult> RunCapture(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string name(entry.substr(0, entry.find('=')));
    if (!env.count(name)) env_strings.emplace_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Status(StatusCode::kInternal, fmt::format("pipe: {}", std::strerror(errno)));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Status(StatusCode::kInternal, fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::execve(args[0], args.data(), envp.data());
    std::string msg = fmt::format("corral: cannot run {}: {}\n", argv[0], std::strerror(errno));
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(fds[1]);
  ProcessResult result;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string BinaryPath() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : path.string();
}

// Runs a Python pipeline with CORRAL_WORKFLOW_EMIT=1 and returns the documents it printed.
Result<std::vector<json>> RunPipeline(const CommandContext& ctx, const std::string& file) {
  std::string sdk = FindPythonSdk(BinaryPath(), ctx.env("CORRAL_PYTHONPATH").value_or(""));
  std::map<std::string, std::string> env{{"CORRAL_WORKFLOW_EMIT", "1"}};
  std::string pythonpath = ctx.env("PYTHONPATH").value_or("");
  if (!sdk.empty()) pythonpath = pythonpath.empty() ? sdk : sdk + ":" + pythonpath;
  if (!pythonpath.empty()) env["PYTHONPATH"] = pythonpath;
  std::string python = ctx.env("CORRAL_PYTHON").value_or("/usr/bin/python3");
  auto run = RunCapture({python, file}, env);
  if (!run.ok()) return run.status();
  if (run->exit_status != 0) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("{} {} exited with status {}{}", python, file, run->exit_status,
                              sdk.empty() ? " (the corral Python package was not found: set "
                                            "CORRAL_PYTHONPATH to the directory holding corral/)"
                                          : ""));
  }
  return ParseEmittedDocuments(run->out);
}

bool LooksLikeJson(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{';
}

Result<std::vector<SpecDocument>> LoadSpecs(const CommandContext& ctx, const std::string& file,
                                            const std::vector<std::string>& parameters) {
  std::vector<SpecDocument> specs;
  std::vector<json> docs;
  if (EndsWith(file, ".py")) {
    auto emitted = RunPipeline(ctx, file);
    if (!emitted.ok()) return emitted.status();
    docs = std::move(*emitted);
  } else {
    auto text = ReadFile(file, ctx.in);
    if (!text.ok()) return text.status();
    bool is_json = LooksLikeJson(*text);
    if (parameters.empty()) {
      specs.push_back({std::move(*text), is_json ? "application/json" : "application/yaml", ""});
      return specs;
    }
    // -p changes the document, so it is read here; the server sees the result as JSON.
    Result<json> doc =
        is_json ? Result<json>(json::parse(*text, nullptr, false)) : YamlToJson(*text);
    if (!doc.ok())
      return InvalidArgument(file, fmt::format("{}: {}", file, doc.status().message()));
    if (doc->is_discarded()) return InvalidArgument(file, fmt::format("{}: not valid JSON", file));
    docs.push_back(std::move(*doc));
  }
  for (auto& doc : docs) {
    std::string kind = doc.is_object() ? doc.value("kind", "") : "";
    if (kind == "Workflow" || kind.empty()) {
      if (Status s = ApplyParameterOverrides(doc, parameters); !s.ok()) return s;
    }
    specs.push_back({doc.dump(), "application/json", kind});
  }
  return specs;
}

bool IsTemplateKind(std::string_view kind) {
  return kind == "WorkflowTemplate" || kind == "ClusterWorkflowTemplate";
}

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// An id as typed, or the id of the newest workflow with that name.
Result<std::string> ResolveWorkflow(CommandContext& ctx, const std::string& id_or_name) {
  if (AllDigits(id_or_name)) return id_or_name;
  auto list = ctx.api.GetJson("/workflows");
  if (!list.ok()) return list.status();
  for (const auto& w : Member(*list, "workflows")) {
    if (TextField(w, "name") == id_or_name) return TextField(w, "id");
  }
  return Status(StatusCode::kNotFound, fmt::format("no workflow named \"{}\"", id_or_name));
}

std::string WorkflowPath(const std::string& id) { return "/workflows/" + PercentEncode(id); }

std::string Age(const CommandContext& ctx, const json& object, std::string_view key) {
  auto then = TimeField(object, key);
  return then ? FormatAge(*then, ctx.clock.Now()) : "-";
}

void PrintWorkflow(CommandContext& ctx, const json& wf) {
  ctx.out << RenderWorkflowSummary(wf, ctx.clock.Now());
  std::string tree = RenderNodeTree(wf, ctx.clock.Now());
  if (!tree.empty()) ctx.out << "\n" << tree;
}

// Exit status of a finished workflow: 0 when it succeeded, 1 otherwise.
int WorkflowExitStatus(const json& wf) {
  return TextField(wf, "phase") == "Succeeded" ? kExitOk : kExitFailure;
}

int Watch(CommandContext& ctx, const std::string& id, double poll_seconds) {
  std::map<std::string, std::string> seen;  // node id -> phase printed
  std::string workflow_phase;
  for (;;) {
    auto wf = ctx.api.GetJson(WorkflowPath(id));
    if (!wf.ok()) return ReportFailure(wf.status(), ctx.api.connection(), ctx.err);
    for (const auto& node : Member(*wf, "nodes")) {
      std::string nid = TextField(node, "id");
      std::string phase = TextField(node, "phase");
      std::string type = TextField(node, "type");
      if (nid.empty() || seen[nid] == phase) continue;
      seen[nid] = phase;
      if (type == "StepGroup" || type == "TaskGroup") continue;
      std::string name = TextField(node, "display_name", TextField(node, "name"));
      std::string message = TextField(node, "message");
      ctx.out << fmt::format("{} {:<32} {}{}\n", PhaseMark(phase), name, phase,
                             message.empty() ? "" : ": " + message);
    }
    ctx.out.flush();
    if (WorkflowFinished(*wf)) {
      ctx.out << "\n";
      PrintWorkflow(ctx, *wf);
      return WorkflowExitStatus(*wf);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(poll_seconds * 1000)));
  }
}

int Submit(CommandContext& ctx, const WorkflowOptions& o, bool templates_only) {
  auto specs = LoadSpecs(ctx, o.file, o.parameters);
  if (!specs.ok()) {
    ReportFailure(specs.status(), ctx.api.connection(), ctx.err);
    return specs.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  json answers = json::array();
  std::string last_workflow;
  for (auto& spec : *specs) {
    bool is_template = templates_only || IsTemplateKind(spec.kind);
    auto reply = ctx.api.PostRaw(is_template ? "/workflow-templates" : "/workflows",
                                 std::move(spec.body), spec.content_type);
    if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
    for (const auto& w : reply->value("warnings", json::array())) {
      if (w.is_string()) ctx.err << "warning: " << w.get<std::string>() << "\n";
    }
    if (ctx.format == OutputFormat::kDefault || ctx.format == OutputFormat::kWide) {
      if (is_template) {
        for (const auto& t : reply->value("templates", json::array())) {
          ctx.out << fmt::format("{} {} created\n", TextField(t, "kind"), TextField(t, "name"));
        }
      } else {
        ctx.out << fmt::format("workflow {} submitted ({})\n", TextField(*reply, "id"),
                               TextField(*reply, "name"));
      }
    }
    if (!is_template) last_workflow = TextField(*reply, "id");
    answers.push_back(std::move(*reply));
  }
  if (ctx.format == OutputFormat::kJson || ctx.format == OutputFormat::kYaml) {
    Structured(ctx, answers.size() == 1 ? answers[0] : answers);
  }
  if (o.watch && !last_workflow.empty()) return Watch(ctx, last_workflow, o.poll_seconds);
  return kExitOk;
}

int List(CommandContext& ctx, const WorkflowOptions& o) {
  QueryParams query;
  if (!o.phase.empty()) query.emplace_back("phase", o.phase);
  if (o.limit > 0) query.emplace_back("limit", std::to_string(o.limit));
  auto list = ctx.api.GetJson("/workflows" + BuildQuery(query));
  if (!list.ok()) return ReportFailure(list.status(), ctx.api.connection(), ctx.err);
  if (Structured(ctx, *list)) return kExitOk;
  bool wide = ctx.format == OutputFormat::kWide;
  std::vector<std::string> headers{"ID", "NAME", "PHASE", "PROGRESS", "DURATION", "AGE"};
  if (wide) headers.insert(headers.end(), {"OWNER", "MESSAGE"});
  Table table(headers);
  for (const auto& w : Member(*list, "workflows")) {
    std::vector<std::string> row{TextField(w, "id"),
                                 TextField(w, "name"),
                                 TextField(w, "phase"),
                                 TextField(w, "progress", "-"),
                                 ElapsedText(w, ctx.clock.Now()),
                                 Age(ctx, w, "created_at")};
    if (wide) row.insert(row.end(), {TextField(w, "owner"), TextField(w, "message")});
    table.AddRow(std::move(row));
  }
  table.Render(ctx.out);
  return kExitOk;
}

// Follows the logs of the workflow's Pod nodes (or one node) until the workflow ends, printing
// complete lines as they appear, each prefixed with its node unless one node was asked for.
int FollowLogs(CommandContext& ctx, const std::string& id, const WorkflowOptions& o) {
  std::map<std::string, size_t> printed;  // node id -> bytes of its log already printed
  std::set<std::string> done;
  for (;;) {
    auto wf = ctx.api.GetJson(WorkflowPath(id));
    if (!wf.ok()) return ReportFailure(wf.status(), ctx.api.connection(), ctx.err);
    bool finished = WorkflowFinished(*wf);
    for (const auto& node : Member(*wf, "nodes")) {
      std::string nid = TextField(node, "id");
      std::string name = TextField(node, "display_name", TextField(node, "name"));
      if (TextField(node, "type") != "Pod" || done.count(nid)) continue;
      if (!o.node.empty() && o.node != nid && o.node != name) continue;
      if (!TimeField(node, "started_at")) continue;
      bool node_finished = TimeField(node, "finished_at").has_value();
      auto text = ctx.api.GetText(WorkflowPath(id) + "/logs" + BuildQuery({{"node", nid}}));
      if (!text.ok()) return ReportFailure(text.status(), ctx.api.connection(), ctx.err);
      size_t& from = printed[nid];
      if (text->size() < from) from = 0;  // the node was retried: a new log
      size_t upto = text->size();
      if (!node_finished) {
        size_t last_newline = text->rfind('\n');
        upto = last_newline == std::string::npos ? 0 : last_newline + 1;
      }
      if (node_finished) done.insert(nid);
      if (upto <= from) continue;
      std::istringstream lines(text->substr(from, upto - from));
      std::string line;
      while (std::getline(lines, line)) {
        ctx.out << (o.node.empty() ? "[" + name + "] " : "") << line << "\n";
      }
      ctx.out.flush();
      from = upto;
    }
    if (finished) return kExitOk;
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(o.poll_seconds * 1000)));
  }
}

// The spec in a file, as JSON: the first workflow a pipeline prints, or the YAML/JSON document.
Result<json> LoadSpecDocument(const CommandContext& ctx, const std::string& file) {
  if (EndsWith(file, ".py")) {
    auto docs = RunPipeline(ctx, file);
    if (!docs.ok()) return docs.status();
    for (auto& doc : *docs) {
      if (doc.value("kind", "") == "Workflow") return std::move(doc);
    }
    return std::move(docs->front());
  }
  auto text = ReadFile(file, ctx.in);
  if (!text.ok()) return text.status();
  if (LooksLikeJson(*text)) {
    json doc = json::parse(*text, nullptr, false);
    if (doc.is_discarded()) return InvalidArgument(file, fmt::format("{}: not valid JSON", file));
    return doc;
  }
  // A multi-document file (templates) draws its first document.
  std::string first = *text;
  if (size_t sep = first.find("\n---", 1); sep != std::string::npos) first.resize(sep + 1);
  auto doc = YamlToJson(first);
  if (!doc.ok()) return InvalidArgument(file, fmt::format("{}: {}", file, doc.status().message()));
  return doc;
}

bool IsSpecFile(const std::string& arg) {
  std::error_code ec;
  return !AllDigits(arg) && std::filesystem::is_regular_file(arg, ec);
}

int Graph(CommandContext& ctx, const std::string& dot, const std::string& format) {
  if (format == "dot") {
    ctx.out << dot;
    return kExitOk;
  }
  char path[] = "/tmp/corral-graph-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) {
    ctx.err << "corral: cannot create a temporary file: " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  bool written = ::write(fd, dot.data(), dot.size()) == static_cast<ssize_t>(dot.size());
  ::close(fd);
  std::string dot_binary;
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    std::string candidate = std::string(dir) + "/dot";
    if (::access(candidate.c_str(), X_OK) == 0) {
      dot_binary = candidate;
      break;
    }
  }
  if (!written || dot_binary.empty()) {
    ::unlink(path);
    ctx.err << (written ? "corral: --format svg needs Graphviz's `dot` (apt-get install "
                          "graphviz); --format dot prints the graph without it\n"
                        : "corral: cannot write the graph to a temporary file\n");
    return kExitFailure;
  }
  auto run = RunCapture({dot_binary, "-Tsvg", path}, {});
  ::unlink(path);
  if (!run.ok() || run->exit_status != 0) {
    ctx.err << "corral: Graphviz `dot` failed to draw the graph\n";
    return kExitFailure;
  }
  ctx.out << run->out;
  return kExitOk;
}

int Templates(CommandContext& ctx, CLI::App& tmpl, const WorkflowOptions& o) {
  if (tmpl.get_subcommand("create")->parsed()) return Submit(ctx, o, /*templates_only=*/true);
  if (tmpl.get_subcommand("delete")->parsed()) {
    std::string kind = o.cluster ? "clusterworkflowtemplate" : "workflowtemplate";
    auto reply =
        ctx.api.DeleteJson("/workflow-templates/" + kind + "/" + PercentEncode(o.template_name));
    if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
    ctx.out << fmt::format("{} {} deleted\n",
                           o.cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate",
                           o.template_name);
    return kExitOk;
  }
  auto list = ctx.api.GetJson("/workflow-templates");
  if (!list.ok()) return ReportFailure(list.status(), ctx.api.connection(), ctx.err);
  if (Structured(ctx, *list)) return kExitOk;
  Table table({"NAME", "KIND", "AGE"});
  for (const auto& t : Member(*list, "templates")) {
    table.AddRow({TextField(t, "name"), TextField(t, "kind"), Age(ctx, t, "created_at")});
  }
  table.Render(ctx.out);
  return kExitOk;
}

}  // namespace

std::string FindPythonSdk(const std::string& binary_path, const std::string& env_override) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto holds_sdk = [&](const fs::path& dir) {
    return fs::exists(dir / "corral" / "workflow.py", ec);
  };
  if (!env_override.empty()) return env_override;
  if (binary_path.empty()) return "";
  fs::path dir = fs::path(binary_path).parent_path();
  std::vector<fs::path> candidates{dir / ".." / "python", dir / ".." / ".." / "python",
                                   dir / ".." / "share" / "corral" / "python"};
  for (const auto& candidate : candidates) {
    if (holds_sdk(candidate)) return fs::weakly_canonical(candidate, ec).string();
  }
  return "";
}

CLI::App* AddWorkflowCommand(CLI::App& app, WorkflowOptions& o) {
  CLI::App* wf = app.add_subcommand("workflow", "Workflows: Argo-style DAGs and steps of jobs");
  wf->alias("wf");
  wf->fallthrough();
  wf->require_subcommand(1);
  CLI::App* submit = wf->add_subcommand(
      "submit", "Submit a workflow: an Argo Workflow in YAML or JSON, or a Python pipeline (.py)");
  submit->fallthrough();
  submit->add_option("file", o.file, "FILE.yaml, FILE.json, FILE.py (- reads YAML/JSON on stdin)")
      ->required();
  submit->add_option("-p,--parameter", o.parameters, "Workflow parameter NAME=VALUE");
  submit->add_flag("-w,--watch", o.watch,
                   "Print node phases until it ends; exit 1 unless it succeeded");
  CLI::App* list = wf->add_subcommand("list", "List workflows, newest first");
  list->alias("ls");
  list->fallthrough();
  list->add_option("--phase", o.phase, "Only workflows in this phase (Running, Succeeded, ...)");
  list->add_option("--limit", o.limit, "At most this many")->check(CLI::NonNegativeNumber);
  for (auto [verb, help] :
       {std::pair{"get", "Show a workflow and its node tree"},
        std::pair{"logs", "Print the logs of a workflow's steps"},
        std::pair{"stop", "Stop: cancel running steps, then run the exit handler"},
        std::pair{"terminate", "Terminate: cancel running steps, no exit handler"},
        std::pair{"suspend", "Suspend: start no new steps until resumed"},
        std::pair{"resume", "Resume a suspended workflow (or its suspend steps)"},
        std::pair{"retry", "Re-run failed steps and what depends on them, keeping succeeded ones"},
        std::pair{"resubmit", "Submit the same spec again as a new workflow"},
        std::pair{"delete", "Delete a finished workflow"},
        std::pair{"graph",
                  "Print the node graph of a workflow, or of a spec file before it runs "
                  "(Graphviz DOT, or SVG)"}}) {
    CLI::App* sub = wf->add_subcommand(verb, help);
    sub->fallthrough();
    sub->add_option("workflow", o.workflow,
                    std::string_view(verb) == "graph" ? "Workflow id or name, or a spec file"
                                                      : "Workflow id or name")
        ->required();
  }
  CLI::App* logs = wf->get_subcommand("logs");
  logs->add_option("--node", o.node, "Only this node (id or display name)");
  logs->add_flag("-f,--follow", o.follow, "Keep printing until the workflow ends");
  wf->get_subcommand("graph")
      ->add_option("--format", o.graph_format, "dot (default) or svg (needs Graphviz)")
      ->check(CLI::IsMember({"dot", "svg"}));
  CLI::App* tmpl = wf->add_subcommand("template", "WorkflowTemplates and ClusterWorkflowTemplates");
  tmpl->fallthrough();
  tmpl->require_subcommand(1);
  CLI::App* create = tmpl->add_subcommand("create", "Register templates (same name replaces)");
  create->fallthrough();
  create->add_option("file", o.file, "YAML (several documents allowed), JSON or .py")->required();
  tmpl->add_subcommand("list", "List templates")->alias("ls")->fallthrough();
  CLI::App* del = tmpl->add_subcommand("delete", "Delete a template");
  del->fallthrough();
  del->add_option("name", o.template_name, "Template name")->required();
  del->add_flag("--cluster", o.cluster, "A ClusterWorkflowTemplate");
  return wf;
}

int WorkflowCommand(CommandContext& ctx, CLI::App& wf, const WorkflowOptions& o) {
  auto parsed = [&](const char* verb) { return wf.get_subcommand(verb)->parsed(); };
  if (parsed("submit")) return Submit(ctx, o, /*templates_only=*/false);
  if (parsed("list")) return List(ctx, o);
  if (parsed("template")) return Templates(ctx, *wf.get_subcommand("template"), o);
  if (parsed("graph") && IsSpecFile(o.workflow)) {
    auto doc = LoadSpecDocument(ctx, o.workflow);
    if (!doc.ok()) {
      ReportFailure(doc.status(), ctx.api.connection(), ctx.err);
      return kExitUsage;
    }
    return Graph(ctx, SpecDot(*doc), o.graph_format);
  }

  auto id = ResolveWorkflow(ctx, o.workflow);
  if (!id.ok()) return ReportFailure(id.status(), ctx.api.connection(), ctx.err);
  const std::string path = WorkflowPath(*id);
  if (parsed("logs")) {
    if (o.follow) return FollowLogs(ctx, *id, o);
    QueryParams query;
    if (!o.node.empty()) query.emplace_back("node", o.node);
    auto text = ctx.api.GetText(path + "/logs" + BuildQuery(query));
    if (!text.ok()) return ReportFailure(text.status(), ctx.api.connection(), ctx.err);
    ctx.out << *text;
    return kExitOk;
  }
  if (parsed("delete")) {
    auto reply = ctx.api.DeleteJson(path);
    if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
    ctx.out << fmt::format("workflow {} deleted\n", *id);
    return kExitOk;
  }
  for (auto [verb, done] : {std::pair{"stop", "stopped"}, std::pair{"terminate", "terminated"},
                            std::pair{"suspend", "suspended"}, std::pair{"resume", "resumed"},
                            std::pair{"retry", "retried"}, std::pair{"resubmit", "resubmitted"}}) {
    if (!parsed(verb)) continue;
    auto reply = ctx.api.PostRaw(path + "/" + verb, "", "");
    if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
    if (Structured(ctx, *reply)) return kExitOk;
    if (std::string_view(verb) == "resubmit") {
      ctx.out << fmt::format("workflow {} resubmitted as {} ({})\n", *id, TextField(*reply, "id"),
                             TextField(*reply, "name"));
    } else {
      ctx.out << fmt::format("workflow {} {}\n", *id, done);
    }
    return kExitOk;
  }
  auto workflow = ctx.api.GetJson(path);
  if (!workflow.ok()) return ReportFailure(workflow.status(), ctx.api.connection(), ctx.err);
  if (parsed("graph")) return Graph(ctx, WorkflowDot(*workflow), o.graph_format);
  if (Structured(ctx, *workflow)) return kExitOk;
  PrintWorkflow(ctx, *workflow);
  return kExitOk;
}

}  // namespace corral::cli
