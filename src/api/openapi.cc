#include "api/openapi.h"

#include <nlohmann/json.hpp>

namespace corral::api {
namespace {

using nlohmann::json;

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

// A request body accepted as JSON or YAML.
json Body(const json& schema) {
  return {
      {"required", true},
      {"content",
       {{"application/json", {{"schema", schema}}}, {"application/yaml", {{"schema", schema}}}}}};
}

json JsonBody(const std::string& schema) { return Body(Ref(schema)); }

json Reply(const std::string& description, const std::string& schema) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", Ref(schema)}}}}}};
}

json Errors() {
  json e = {{"description", "error"},
            {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
  return {{"400", e}, {"401", e}, {"403", e}, {"404", e}, {"409", e}, {"413", e}, {"422", e}};
}

json Op(const std::string& summary, json responses, json extra = json::object()) {
  json op = {{"summary", summary}, {"responses", std::move(responses)}};
  for (auto& [k, v] : Errors().items()) op["responses"][k] = v;
  for (auto& [k, v] : extra.items()) op[k] = v;
  return op;
}

json Param(const std::string& name, const std::string& in, const std::string& type,
           const std::string& description, bool required = false) {
  return {{"name", name},
          {"in", in},
          {"required", required || in == "path"},
          {"description", description},
          {"schema", {{"type", type}}}};
}

json Build() {
  json strmap = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  json nullable_time = {{"type", "string"}, {"format", "date-time"}, {"nullable", true}};
  json spec_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"name", {{"type", "string"}, {"pattern", "^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$"}}},
        {"command", {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}}},
        {"script", {{"type", "string"}}},
        {"replicas", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1024}, {"default", 1}}},
        {"resources",
         {{"type", "object"},
          {"additionalProperties", false},
          {"properties",
           {{"gpus", {{"type", "integer"}, {"minimum", 0}, {"maximum", 64}, {"default", 0}}},
            {"cpus", {{"type", "integer"}, {"minimum", 0}, {"default", 1}}},
            {"memory_mb", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}}}}},
        {"env", strmap},
        {"workdir", {{"type", "string"}, {"description", "absolute path"}}},
        {"priority",
         {{"type", "string"},
          {"enum", {"opportunistic", "normal", "high", "interactive"}},
          {"default", "normal"}}},
        {"queue", {{"type", "string"}, {"default", "default"}}},
        {"time_limit_s", {{"type", "integer"}, {"minimum", 1}}},
        {"retry",
         {{"type", "object"},
          {"additionalProperties", false},
          {"properties",
           {{"max_retries", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}},
            {"retry_on_preemption", {{"type", "boolean"}, {"default", true}}},
            {"exit_codes", {{"type", "string"}, {"example", "128-255"}}}}}}},
        {"labels", strmap},
        {"preemptible", {{"type", "boolean"}, {"default", false}}}}}};
  json replica = {{"type", "object"},
                  {"properties",
                   {{"index", {{"type", "integer"}}},
                    {"node", {{"type", "string"}}},
                    {"gpus", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
                    {"state", {{"type", "string"}, {"enum", {"starting", "running", "exited"}}}},
                    {"started_at", nullable_time},
                    {"ended_at", nullable_time},
                    {"exit_code", {{"type", "integer"}, {"nullable", true}}},
                    {"signal", {{"type", "integer"}, {"nullable", true}}},
                    {"external_id", {{"type", "string"}}}}}};
  json attempt = {{"type", "object"},
                  {"properties",
                   {{"number", {{"type", "integer"}}},
                    {"started_at", nullable_time},
                    {"ended_at", nullable_time},
                    {"exit_code", {{"type", "integer"}, {"nullable", true}}},
                    {"end_reason", {{"type", "string"}}},
                    {"replicas", {{"type", "array"}, {"items", replica}}}}}};
  json job = {
      {"type", "object"},
      {"properties",
       {{"id", {{"type", "integer"}}},
        {"name", {{"type", "string"}}},
        {"owner", {{"type", "string"}}},
        {"parent",
         {{"type", "object"},
          {"nullable", true},
          {"properties",
           {{"kind",
             {{"type", "string"}, {"enum", {"experiment", "workflow", "notebook", "training"}}}},
            {"id", {{"type", "integer"}}},
            {"key", {{"type", "string"}}}}}}},
        {"state",
         {{"type", "string"},
          {"enum",
           {"pending", "starting", "running", "succeeded", "failed", "cancelled", "preempted"}}}},
        {"reason", {{"type", "string"}}},
        {"submitted_at", {{"type", "string"}, {"format", "date-time"}}},
        {"started_at", nullable_time},
        {"ended_at", nullable_time},
        {"exit_code", {{"type", "integer"}, {"nullable", true}}},
        {"attempt", {{"type", "integer"}}},
        {"spec", Ref("JobSpec")},
        {"placement",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"replica", {{"type", "integer"}}},
              {"node", {{"type", "string"}}},
              {"gpus", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}}}}},
        {"attempts", {{"type", "array"}, {"items", attempt}}}}}};
  json error = {
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties",
           {{"code", {{"type", "string"}}},
            {"message", {{"type", "string"}}},
            {"details",
             {{"type", "object"}, {"properties", {{"field", {{"type", "string"}}}}}}}}}}}}}};
  json gpu = {{"type", "object"},
              {"properties",
               {{"index", {{"type", "integer"}}},
                {"uuid", {{"type", "string"}}},
                {"model", {{"type", "string"}}},
                {"memory_mb", {{"type", "integer"}}},
                {"simulated", {{"type", "boolean"}}},
                {"job", {{"type", "integer"}, {"nullable", true}}},
                {"user", {{"type", "string"}, {"nullable", true}}},
                {"utilization_pct", {{"type", "integer"}, {"nullable", true}}},
                {"memory_used_mb", {{"type", "integer"}, {"nullable", true}}},
                {"sampled_at", {{"type", "string"}, {"format", "date-time"}}}}}};
  json node = {{"type", "object"},
               {"properties",
                {{"name", {{"type", "string"}}},
                 {"simulated", {{"type", "boolean"}}},
                 {"cpus", {{"type", "integer"}}},
                 {"memory_mb", {{"type", "integer"}}},
                 {"gpus", {{"type", "array"}, {"items", gpu}}}}}};
  json sse = {{"description", "Server-sent events"},
              {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};

  json paths;
  paths["/healthz"]["get"] = {{"summary", "Liveness"},
                              {"security", json::array()},
                              {"responses", {{"200", {{"description", "ok"}}}}}};
  paths["/api/v1/openapi.json"]["get"] = {{"summary", "This document"},
                                          {"security", json::array()},
                                          {"responses", {{"200", {{"description", "OpenAPI"}}}}}};
  paths["/api/v1/jobs"]["post"] = Op("Submit a job", {{"201", Reply("the accepted job", "Job")}},
                                     {{"requestBody", JsonBody("JobSpec")}});
  paths["/api/v1/jobs"]["get"] =
      Op("List jobs, newest first",
         {{"200",
           {{"description", "a page of jobs"},
            {"content",
             {{"application/json",
               {{"schema",
                 {{"type", "object"},
                  {"properties",
                   {{"jobs", {{"type", "array"}, {"items", Ref("Job")}}},
                    {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}}}}}}}}}},
         {{"parameters",
           {Param("state", "query", "string", "comma-separated states"),
            Param("owner", "query", "string", "user name (admins)"),
            Param("name", "query", "string", "exact job name"),
            Param("label", "query", "string", "key=value; repeatable"),
            Param("queue", "query", "string", "queue name"),
            Param("limit", "query", "integer", "1..1000, default 100"),
            Param("cursor", "query", "string", "from next_cursor")}}});
  json id = Param("id", "path", "integer", "job id");
  paths["/api/v1/jobs/{id}"]["get"] =
      Op("Get a job", {{"200", Reply("the job", "Job")}}, {{"parameters", {id}}});
  paths["/api/v1/jobs/{id}/cancel"]["post"] =
      Op("Cancel a job", {{"200", Reply("the job", "Job")}}, {{"parameters", {id}}});
  paths["/api/v1/jobs/{id}/logs"]["get"] =
      Op("Combined stdout/stderr of a replica; SSE when follow=true",
         {{"200", {{"description", "text/plain, or text/event-stream with follow=true"}}}},
         {{"parameters",
           {id, Param("replica", "query", "integer", "replica index, default 0"),
            Param("attempt", "query", "integer", "attempt number, default latest"),
            Param("follow", "query", "boolean", "stream until the job ends"),
            Param("offset", "query", "integer", "start at this byte"),
            Param("tail", "query", "integer", "only the last N lines"),
            Param("Range", "header", "string", "bytes=A-B, bytes=A- or bytes=-N (206)")}}});
  paths["/api/v1/events"]["get"] =
      Op("Stream of job events", {{"200", sse}},
         {{"parameters", {Param("since", "query", "integer", "resume after this seq")}}});
  paths["/api/v1/nodes"]["get"] =
      Op("Nodes and every GPU, free or used",
         {{"200",
           {{"description", "nodes"},
            {"content",
             {{"application/json",
               {{"schema",
                 {{"type", "object"},
                  {"properties", {{"nodes", {{"type", "array"}, {"items", node}}}}}}}}}}}}}});
  paths["/api/v1/queues"]["get"] =
      Op("Queues with guarantees, limits, weights and current use",
         {{"200",
           {{"description",
             "{queues: [{name, configured, guaranteed_gpus, max_gpus, weight, "
             "gpus_in_use, borrowed_gpus, running_jobs, pending_jobs}]}"}}}});
  json queue_item = {{"type", "object"},
                     {"properties",
                      {{"name", {{"type", "string"}}},
                       {"guaranteed_gpus", {{"type", "integer"}, {"minimum", 0}}},
                       {"max_gpus", {{"type", "integer"}, {"minimum", -1}}},
                       {"weight", {{"type", "number"}}}}}};
  json queues_body = {{"type", "object"},
                      {"properties", {{"queues", {{"type", "array"}, {"items", queue_item}}}}}};
  paths["/api/v1/queues"]["put"] =
      Op("Replace the queue configuration (admin), live",
         {{"200", {{"description", "the queues"}}}}, {{"requestBody", Body(queues_body)}});
  json exp_id = Param("id", "path", "integer", "experiment id");
  json trial_n = Param("n", "path", "integer", "trial number");
  paths["/api/v1/experiments"]["post"] = Op(
      "Create a hyperparameter search (native spec or Katib Experiment; JSON or YAML)",
      {{"201", {{"description", "the experiment, with warnings for ignored Kubernetes fields"}}}},
      {{"parameters",
        {Param("workdir", "query", "string",
               "absolute working directory for trials that name none (the CLI's current one)")}}});
  paths["/api/v1/experiments"]["get"] =
      Op("List experiments", {{"200", {{"description", "experiments"}}}});
  paths["/api/v1/experiments/{id}"]["get"] =
      Op("An experiment: state, trial counts, best trial",
         {{"200", {{"description", "experiment"}}}}, {{"parameters", {exp_id}}});
  paths["/api/v1/experiments/{id}/trials"]["get"] =
      Op("Trials with parameters, state, objective and job", {{"200", {{"description", "trials"}}}},
         {{"parameters", {exp_id}}});
  paths["/api/v1/experiments/{id}/trials/{n}/metrics"]["get"] =
      Op("Metric series of a trial", {{"200", {{"description", "metrics by name"}}}},
         {{"parameters", {exp_id, trial_n, Param("name", "query", "string", "one metric")}}});
  paths["/api/v1/experiments/{id}/trials/{n}/metrics"]["post"] =
      Op("Report a metric value {name, value, step?}", {{"200", {{"description", "recorded"}}}},
         {{"parameters", {exp_id, trial_n}}});
  paths["/api/v1/experiments/{id}/stop"]["post"] =
      Op("Stop: cancel running trials", {{"200", {{"description", "experiment"}}}},
         {{"parameters", {exp_id}}});
  paths["/api/v1/experiments/{id}/resume"]["post"] =
      Op("Resume a stopped experiment", {{"200", {{"description", "experiment"}}}},
         {{"parameters", {exp_id}}});
  json nb_id = Param("id", "path", "integer", "notebook id");
  paths["/api/v1/notebooks"]["post"] =
      Op("Start a notebook {name?, gpus?, environment?, idle_timeout_s?}",
         {{"201", {{"description", "the notebook, starting"}}}});
  paths["/api/v1/notebooks"]["get"] =
      Op("The caller's notebooks", {{"200", {{"description", "notebooks"}}}},
         {{"parameters",
           {Param("ended", "query", "boolean", "include ended ones"),
            Param("all", "query", "boolean", "everyone's (admin)")}}});
  paths["/api/v1/notebooks/{id}"]["get"] =
      Op("A notebook", {{"200", {{"description", "notebook"}}}},
         {{"parameters",
           {nb_id, Param("wait_s", "query", "integer",
                         "wait up to this long (1-60 s) while it is starting")}}});
  paths["/api/v1/notebooks/{id}"]["delete"] =
      Op("Stop a notebook", {{"200", {{"description", "notebook"}}}}, {{"parameters", {nb_id}}});
  paths["/api/v1/notebooks/{id}/ssh"]["get"] =
      Op("WebSocket tunnel to the notebook's sshd (owner only)",
         {{"101", {{"description", "binary messages carry the SSH stream"}}}},
         {{"parameters", {nb_id}}});
  paths["/api/v1/ssh-keys"]["get"] =
      Op("The caller's public SSH keys", {{"200", {{"description", "keys"}}}});
  paths["/api/v1/ssh-keys"]["post"] =
      Op("Register a public key {key}", {{"201", {{"description", "the key"}}}});
  paths["/api/v1/environments"]["get"] =
      Op("Named environments", {{"200", {{"description", "name: prefix"}}}});
  paths["/api/v1/environments"]["put"] =
      Op("Replace the named environments (admin)", {{"200", {{"description", "name: prefix"}}}});
  json wf_id = Param("id", "path", "integer", "workflow id");
  paths["/api/v1/workflows"]["post"] =
      Op("Submit an Argo Workflow (YAML or JSON); Kubernetes-only fields ignored with warnings",
         {{"201", {{"description", "{id, name, warnings}"}}},
          {"400", {{"description", "invalid spec; the message names the path"}}}});
  paths["/api/v1/workflows"]["get"] =
      Op("List workflows, newest first", {{"200", {{"description", "{workflows: [summary]}"}}}},
         {{"parameters",
           {Param("phase", "query", "string", "Pending, Running, Succeeded, ..."),
            Param("limit", "query", "integer", "at most this many")}}});
  paths["/api/v1/workflows/{id}"]["get"] =
      Op("A workflow: phase, spec, outputs and every node (Argo's status.nodes)",
         {{"200", {{"description", "workflow"}}}}, {{"parameters", {wf_id}}});
  paths["/api/v1/workflows/{id}"]["delete"] =
      Op("Delete a finished workflow", {{"200", {{"description", "deleted"}}}},
         {{"parameters", {wf_id}}});
  paths["/api/v1/workflows/{id}/logs"]["get"] =
      Op("Logs of one node, or of every Pod node prefixed with its display name",
         {{"200", {{"description", "text/plain"}}}},
         {{"parameters", {wf_id, Param("node", "query", "string", "node id or display name")}}});
  for (const char* verb : {"stop", "terminate", "suspend", "resume", "retry"}) {
    paths[std::string("/api/v1/workflows/{id}/") + verb]["post"] =
        Op(std::string(verb) + " the workflow (docs/workflows.md)",
           {{"200", {{"description", "summary"}}}}, {{"parameters", {wf_id}}});
  }
  paths["/api/v1/workflows/{id}/resubmit"]["post"] =
      Op("A new workflow from the same spec", {{"201", {{"description", "{id, name}"}}}},
         {{"parameters", {wf_id}}});
  paths["/api/v1/workflow-templates"]["post"] =
      Op("Register WorkflowTemplates / ClusterWorkflowTemplates (multi-document YAML allowed)",
         {{"201", {{"description", "{templates: [{name, kind}], warnings}"}}}});
  paths["/api/v1/workflow-templates"]["get"] =
      Op("List stored templates", {{"200", {{"description", "{templates: [...]}"}}}});
  paths["/api/v1/workflow-templates/{kind}/{name}"]["delete"] =
      Op("Delete a template", {{"200", {{"description", "deleted"}}}},
         {{"parameters",
           {Param("kind", "path", "string", "workflowtemplate or clusterworkflowtemplate"),
            Param("name", "path", "string", "template name")}}});
  paths["/api/v1/whoami"]["get"] = Op("The caller", {{"200", {{"description", "name and role"}}}});
  json user_body = {{"type", "object"},
                    {"properties",
                     {{"name", {{"type", "string"}}},
                      {"role", {{"type", "string"}, {"enum", {"user", "admin"}}}}}}};
  paths["/api/v1/users"]["post"] =
      Op("Create a user (admin); returns its first token once",
         {{"201", {{"description", "user and token"}}}}, {{"requestBody", Body(user_body)}});
  paths["/api/v1/users"]["get"] = Op("List users (admin)", {{"200", {{"description", "users"}}}});
  json token_body = {{"type", "object"},
                     {"properties",
                      {{"label", {{"type", "string"}, {"maxLength", 64}}},
                       {"user", {{"type", "string"}, {"description", "another user (admin)"}}}}}};
  paths["/api/v1/tokens"]["post"] =
      Op("New API token (for the caller, or for `user` by an admin); the secret is shown once",
         {{"201", {{"description", "id, user, label, created_at and token"}}}},
         {{"requestBody", Body(token_body)}});
  paths["/api/v1/tokens"]["get"] =
      Op("The caller's tokens (never the secrets); all=true lists everyone's (admin)",
         {{"200", {{"description", "tokens"}}}},
         {{"parameters", {Param("all", "query", "boolean", "every user's tokens (admin)")}}});
  paths["/api/v1/tokens/{id}"]["delete"] =
      Op("Revoke a token (its owner or an admin); it stops working at once",
         {{"200", {{"description", "the revoked token"}}},
          {"404", {{"description", "no such token"}}}},
         {{"parameters", {Param("id", "path", "integer", "token id")}}});
  json string = {{"type", "string"}};
  json login_body = {{"type", "object"},
                     {"properties", {{"name", string}, {"password", string}, {"token", string}}},
                     {"description", "name and password, or an API token to turn into a session"}};
  json no_credentials = {{"security", json::array()}};
  no_credentials["requestBody"] = Body(login_body);
  paths["/api/v1/login"]["post"] =
      Op("Log in: sets the corral_session cookie; replies name, role, csrf_token, expires_at "
         "(429 with Retry-After after too many failures)",
         {{"200", {{"description", "the session"}}}}, no_credentials);
  paths["/api/v1/logout"]["post"] =
      Op("End the cookie's session and clear the cookie", {{"200", {{"description", "done"}}}});
  paths["/api/v1/session"]["get"] =
      Op("The cookie's session: name, role, csrf_token, expires_at, idle_timeout_s",
         {{"200", {{"description", "the session"}}}});
  json password_body = {{"type", "object"},
                        {"properties", {{"password", string}, {"old_password", string}}}};
  paths["/api/v1/users/{name}/password"]["put"] =
      Op("Set a password (name `me`: the caller's; another user's: admin); ends the user's "
         "sessions",
         {{"200", {{"description", "name and sessions_revoked"}}}},
         {{"parameters", {Param("name", "path", "string", "user name, or me")}},
          {"requestBody", Body(password_body)}});

  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "Corral API"},
            {"version", "1"},
            {"description", "GPU job queue, scheduler and executor of the Corral ML platform."}}},
          {"servers", {{{"url", "/"}}}},
          {"security", {{{"bearer", json::array()}}, {{"session", json::array()}}}},
          {"paths", paths},
          {"components",
           {{"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "corral_session"}}}}},
            {"schemas", {{"JobSpec", spec_schema}, {"Job", job}, {"Error", error}}}}}};
}

}  // namespace

const std::string& OpenApiDocument() {
  static const std::string doc = Build().dump(2);
  return doc;
}

}  // namespace corral::api
